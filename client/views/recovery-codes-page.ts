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
  /** Unused codes were replaced by these: say that those stopped working (never when there were none). */
  replaced?: boolean;
}

/** Name of the file "Download" saves (static/recovery-codes.js reads it from the page). */
export const RECOVERY_CODES_FILE_NAME = 'gatehouse-recovery-codes.txt';

/**
 * The freshly made recovery codes, once, laid out to print (portal.css hides the header and
 * footer on paper). Copy, download and print are buttons that static/recovery-codes.js shows;
 * without it the codes are still there to write down or print from the browser.
 */
export function renderRecoveryCodesPage(model: RecoveryCodesPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('recovery.title')}</h1>
${model.username && html`<p class="meta" id="recovery-account">${t('recovery.for_account', { username: model.username })}</p>`}
<p class="lead">${t('recovery.intro')}</p>
<ol class="codes" aria-labelledby="page-heading">
${model.codes.map((code) => html`<li><code>${code}</code></li>\n`)}</ol>
<div id="recovery-actions" class="actions no-print" data-file-name="${RECOVERY_CODES_FILE_NAME}" data-copied="${t('recovery.copied')}" data-copy-failed="${t('recovery.copy_failed')}" data-downloaded="${t('recovery.downloaded', { file: RECOVERY_CODES_FILE_NAME })}" hidden>
<button type="button" class="button button-secondary" id="recovery-copy">${t('recovery.copy')}</button>
<button type="button" class="button button-secondary" id="recovery-download">${t('recovery.download')}</button>
<button type="button" class="button button-secondary" id="recovery-print">${t('recovery.print')}</button>
</div>
<p id="recovery-status" class="hint no-print" role="status"></p>
<p>${t('recovery.shown_once')}</p>
<p>${t('recovery.when')}</p>
${model.replaced === true && html`<div class="notice" role="status"><p>${t('recovery.old_codes')}</p></div>`}
<p class="no-print"><a class="button button-primary" href="${toSafeHref(model.continueUrl) ?? model.basePath}">${t('recovery.continue')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('recovery.title'), body, script: 'recovery-codes' });
}
