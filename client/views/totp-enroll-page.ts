import type { MessageKey } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderOtpCodeField } from './otp-code-field.js';

export type TotpEnrollError = 'invalid_code' | 'malformed' | 'expired';

export interface TotpEnrollPageModel extends PageContext {
  csrfToken: string;
  /** The pending (unconfirmed) device; sent back as `device`. */
  deviceId: string;
  deviceName: string;
  /** The otpauth:// URI as a QR code: data:image/svg+xml;base64,… (or image/png). */
  qrDataUri: string;
  /** The base32 secret in groups of 4. */
  secretGroups: string[];
  issuer: string;
  account: string;
  digits: number;
  period: number;
  algorithm: string;
  error?: TotpEnrollError;
}

/** Form field names the server reads from the POST to `methods/totp/confirm`. */
export const TOTP_CONFIRM_FIELDS = { csrf: 'csrf', device: 'device', code: 'code' } as const;

const ERRORS: Readonly<Record<string, MessageKey>> = {
  invalid_code: 'totp_enroll.error_invalid_code',
  malformed: 'mfa.error_malformed',
  expired: 'totp_enroll.error_expired',
};

// Only an image the page itself can show: a CSP of img-src 'self' data: allows any data: URI,
// so the type is pinned here and anything else leaves the typed key as the way in.
const QR_DATA_URI = /^data:image\/(?:svg\+xml|png);base64,[A-Za-z0-9+/]+={0,2}$/;

/** Adding an authenticator app: install, scan (or type the key), confirm a first code. */
export function renderTotpEnrollPage(model: TotpEnrollPageModel): string {
  const { t, error } = model;
  const title = t('totp_enroll.title');
  const message = error !== undefined ? (Object.hasOwn(ERRORS, error) ? ERRORS[error]! : ERRORS.invalid_code!) : undefined;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${title}</h1>
${
  error === 'expired'
    ? html`<div id="form-error" class="alert" role="alert"><p>${t('totp_enroll.error_expired')}</p></div>
<p><a class="button button-primary" href="${model.basePath}methods">${t('totp_enroll.start_again')}</a></p>`
    : html`<p class="lead">${t('totp_enroll.intro', { name: model.deviceName })}</p>
${message !== undefined && html`<div id="form-error" class="alert" role="alert"><p>${t(message)}</p></div>`}
${renderSteps(model, message !== undefined)}
<p><a href="${model.basePath}methods">${t('totp_enroll.cancel')}</a></p>`
}
</section>`;
  return renderLayout({ ...model, title, hasError: error !== undefined, wide: true, body });
}

function renderSteps(model: TotpEnrollPageModel, failed: boolean): SafeHtml {
  const { t } = model;
  return html`<ol class="steps">
<li>
<h2>${t('totp_enroll.step1_heading')}</h2>
<p>${t('totp_enroll.step1_body')}</p>
</li>
<li>
<h2>${t('totp_enroll.step2_heading')}</h2>
<p>${t('totp_enroll.step2_body')}</p>
${QR_DATA_URI.test(model.qrDataUri) && html`<img class="qr" src="${model.qrDataUri}" alt="${t('totp_enroll.qr_alt', { account: model.account, issuer: model.issuer })}" width="192" height="192">`}
${renderManualEntry(model)}
</li>
<li>
<h2>${t('totp_enroll.step3_heading')}</h2>
<form class="form" method="post" action="${model.basePath}methods/totp/confirm">
<input type="hidden" name="${TOTP_CONFIRM_FIELDS.csrf}" value="${model.csrfToken}">
<input type="hidden" name="${TOTP_CONFIRM_FIELDS.device}" value="${model.deviceId}">
${renderOtpCodeField({ id: 'code', label: t('otp.code_label'), hint: t('totp_enroll.code_hint', { digits: model.digits }), digits: model.digits === 6 || model.digits === 8 ? [model.digits] : undefined, errorId: failed ? 'form-error' : undefined, autofocus: failed })}
<div><button type="submit" class="button button-primary">${t('totp_enroll.submit')}</button></div>
</form>
</li>
</ol>`;
}

// The key is plain text in groups: selectable and copyable without JavaScript. The groups are
// separate elements spaced by CSS, so a copy gives the key without the gaps.
function renderManualEntry(model: TotpEnrollPageModel): SafeHtml {
  const { t } = model;
  return html`<h3>${t('totp_enroll.manual_heading')}</h3>
<dl class="details">
<dt>${t('totp_enroll.key')}</dt><dd><code class="secret" id="totp-secret">${model.secretGroups.map((group) => html`<span>${group}</span>`)}</code></dd>
<dt>${t('totp_enroll.account')}</dt><dd>${model.account}</dd>
<dt>${t('totp_enroll.issuer')}</dt><dd>${model.issuer}</dd>
<dt>${t('totp_enroll.type')}</dt><dd>${t('totp_enroll.type_value')}</dd>
<dt>${t('totp_enroll.digits')}</dt><dd>${t('totp_enroll.digits_value', { digits: model.digits })}</dd>
<dt>${t('totp_enroll.period')}</dt><dd>${t('totp_enroll.period_value', { seconds: model.period })}</dd>
<dt>${t('totp_enroll.algorithm')}</dt><dd>${model.algorithm}</dd>
</dl>
<p class="hint">${t('totp_enroll.manual_hint')}</p>`;
}
