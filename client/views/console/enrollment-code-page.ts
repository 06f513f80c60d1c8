import { renderTime } from '../format-time.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';

export interface EnrollmentCodePageModel extends PageContext {
  username: string;
  code: string;
  /** The portal page where the code is entered (the code is never in it). */
  link: string;
  qrDataUri: string;
  expiresAt: number;
  userHref: string;
}

/** The enrollment code, shown this once: the database keeps only its hash. */
export function renderEnrollmentCodePage(model: EnrollmentCodePageModel): SafeHtml {
  const { t, locale } = model;
  return html`<p class="eyebrow"><a href="${model.userHref}">${model.username}</a></p>
<h1 id="page-heading">${t('console.code_title')}</h1>
<section class="card" aria-labelledby="page-heading">
<p class="warning">${t('console.code_once')}</p>
<p>${t('console.code_for', { user: model.username })}</p>
<p class="console-code"><code class="secret">${model.code}</code></p>
<p>${t('console.code_expires')} ${renderTime(locale, model.expiresAt)}</p>
<h2>${t('console.code_where')}</h2>
<p class="long-link"><a href="${model.link}">${model.link}</a></p>
<img class="qr" src="${model.qrDataUri}" alt="${t('console.code_qr_alt', { link: model.link })}" width="192" height="192">
<p class="hint">${t('console.code_qr_hint')}</p>
<div class="actions"><a class="button button-primary" href="${model.userHref}">${t('console.code_done')}</a></div>
</section>`;
}
