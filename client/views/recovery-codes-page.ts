import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { toSafeHref } from './safe-href.js';

export interface RecoveryCodesPageModel extends PageContext {
  /** The new codes in plain text: shown this once, stored only hashed. */
  codes: string[];
  /** Where to go once they are saved; already checked by the server. */
  continueUrl: string;
  /** Printed above the codes so that a sheet of paper says whose they are. */
  username?: string;
}

/** The freshly made recovery codes, once, laid out to print (portal.css hides the header and footer on paper). */
export function renderRecoveryCodesPage(model: RecoveryCodesPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('recovery.title')}</h1>
${model.username && html`<p class="meta">${t('recovery.for_account', { username: model.username })}</p>`}
<p class="lead">${t('recovery.intro')}</p>
<ol class="codes" aria-labelledby="page-heading">
${model.codes.map((code) => html`<li><code>${code}</code></li>\n`)}</ol>
<p>${t('recovery.shown_once')}</p>
<p>${t('recovery.when')}</p>
<div class="notice" role="status"><p>${t('recovery.old_codes')}</p></div>
<p class="no-print"><a class="button button-primary" href="${toSafeHref(model.continueUrl) ?? model.basePath}">${t('recovery.continue')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('recovery.title'), body });
}
