import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export interface PushEnrollPageModel extends PageContext {
  /** `{portal}companion/#enroll=<token>`: single use, shown as a QR code and as text. */
  link: string;
  qrDataUri: string;
  minutes: number;
}

/** "Add phone": the one-time link for the companion app, as a QR code and as text. */
export function renderPushEnrollPage(model: PushEnrollPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('push.enroll_title')}</h1>
<p class="lead">${t('push.enroll_intro', { minutes: model.minutes })}</p>
<p class="qr"><img src="${model.qrDataUri}" alt="${t('push.enroll_qr_alt')}" width="240" height="240"></p>
<p class="meta">${t('push.enroll_link_label')}</p>
<p class="long-link"><a id="push-link" href="${model.link}" rel="noreferrer">${model.link}</a></p>
<p class="hint">${t('push.enroll_expired_hint')}</p>
<p><a href="${model.basePath}methods">${t('push.enroll_back')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('push.enroll_title'), body });
}
