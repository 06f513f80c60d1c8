import type { MessageKey } from '../i18n.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export interface RecoveryCodesConfirmPageModel extends PageContext {
  csrfToken: string;
  /** Unused codes that new ones would replace (at least one, or this page is not shown). */
  unused: number;
}

/**
 * "Create new recovery codes?": asked before the user's unused codes are thrown away, since a
 * set written down or printed stops working at once. Cancelling changes nothing.
 */
export function renderRecoveryCodesConfirmPage(model: RecoveryCodesConfirmPageModel): string {
  const { t, locale } = model;
  const count = new Intl.NumberFormat(locale).format(model.unused);
  const key: MessageKey = new Intl.PluralRules(locale).select(model.unused) === 'one' ? 'recovery.confirm_body_one' : 'recovery.confirm_body_other';
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('recovery.confirm_title')}</h1>
<div class="notice" id="recovery-confirm-warning"><p>${t(key, { count })}</p></div>
<p>${t('recovery.confirm_advice')}</p>
<div class="actions">
<form method="post" action="${model.basePath}methods/recovery-codes">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="confirm" value="1">
<button type="submit" class="button button-primary" aria-describedby="recovery-confirm-warning">${t('recovery.confirm_submit')}</button>
</form>
<a class="button button-secondary" href="${model.basePath}methods">${t('recovery.confirm_cancel')}</a>
</div>
</section>`;
  return renderLayout({ ...model, title: t('recovery.confirm_title'), body });
}
