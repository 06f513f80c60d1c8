import type { MessageKey } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { CREDENTIAL_FIELDS, CREDENTIAL_NAME_MAX_LENGTH, renderCredentialList, type MethodsPageCredential } from './methods-credential-list.js';
import { DEVICE_NAME_MAX_LENGTH, METHODS_FIELDS, renderDeviceList, type MethodsPageDevice } from './methods-device-list.js';
import { renderPhoneSection, type MethodsPagePhone } from './methods-phone-list.js';
import { toSafeHref } from './safe-href.js';
import { renderWebAuthnAlertSlot, renderWebAuthnData } from './webauthn-data.js';

export { CREDENTIAL_FIELDS, CREDENTIAL_NAME_MAX_LENGTH, DEVICE_NAME_MAX_LENGTH, METHODS_FIELDS, type MethodsPageCredential, type MethodsPageDevice };

export type MethodsNotice =
  | 'added'
  | 'renamed'
  | 'removed'
  | 'codes_created'
  | 'codes_regenerated'
  | 'needs_fresh_factor'
  | 'webauthn_added'
  | 'webauthn_renamed'
  | 'webauthn_removed'
  | 'push_added'
  | 'push_removed'
  | 'sms_added'
  | 'sms_removed';

export interface MethodsPageModel extends PageContext {
  csrfToken: string;
  user: { username: string; displayName: string };
  devices: MethodsPageDevice[];
  recoveryCodes: { enabled: boolean; remaining: number; total: number };
  /** False until the session has a fresh second factor (ASVS 7.5.1): the page is then read-only. */
  canManage: boolean;
  /** Where to re-verify with a second factor when !canManage. */
  confirmUrl: string;
  totpEnabled: boolean;
  /** The outcome of the POST that led here. */
  notice?: MethodsNotice;
  /** Some rule needs a second factor: removing the last device warns first. */
  requiresSecondFactor: boolean;
  /** IANA zone for the times shown; defaults to the server's. */
  timeZone?: string;
  /** Passkeys and security keys; absent or not enabled hides the section. */
  webauthn?: { enabled: boolean; credentials: MethodsPageCredential[] };
  /** Phones for push approval; absent or not enabled hides the section. */
  push?: { enabled: boolean; phones: MethodsPagePhone[] };
  /** SMS codes with user_numbers: the number in use, masked, and whether it is the directory's (which the user cannot change). */
  sms?: { masked: string | null; fromDirectory: boolean };
}

const DONE: Readonly<Record<string, MessageKey>> = {
  added: 'methods.notice_added',
  renamed: 'methods.notice_renamed',
  removed: 'methods.notice_removed',
  codes_created: 'methods.notice_codes_created',
  codes_regenerated: 'methods.notice_codes_regenerated',
  webauthn_added: 'methods.notice_webauthn_added',
  webauthn_renamed: 'methods.notice_webauthn_renamed',
  webauthn_removed: 'methods.notice_webauthn_removed',
  push_added: 'push.notice_added',
  push_removed: 'push.notice_removed',
  sms_added: 'sms_number.notice_added',
  sms_removed: 'sms_number.notice_removed',
};

/** "My sign-in methods": the user's devices and recovery codes, and the forms to change them. */
export function renderMethodsPage(model: MethodsPageModel): string {
  const { t, user } = model;
  const who = user.displayName ? t('methods.account_name', { name: user.displayName, username: user.username }) : user.username;
  const done = model.notice !== undefined && Object.hasOwn(DONE, model.notice) ? DONE[model.notice] : undefined;
  const webauthn = model.webauthn?.enabled === true;
  const credentials = model.webauthn?.credentials ?? [];
  const phones = model.push?.phones ?? [];
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('methods.title')}</h1>
<p class="lead">${t('methods.intro')}</p>
<p class="meta">${t('home.signed_in_as', { username: who })}</p>
${done && html`<div class="notice notice-success" role="status"><p>${t(done)}</p></div>`}
${(!model.canManage || model.notice === 'needs_fresh_factor') && renderConfirmFirst(model)}
</section>
${webauthn && renderCredentials(model, credentials)}
${model.push?.enabled === true && renderPhoneSection({ ...model, phones, otherFactors: model.devices.length + credentials.length })}
<section class="card" aria-labelledby="devices-heading">
<h2 id="devices-heading">${t('methods.devices_heading')}</h2>
${renderDeviceList({ ...model, otherFactors: credentials.length + phones.length })}
${model.canManage && model.totpEnabled && renderAddTotp(model)}
<p class="hint">${t('methods.hardware_hint')}</p>
</section>
${model.sms && renderSmsNumber(model, model.sms)}
${model.recoveryCodes.enabled && renderRecoveryCodes(model)}
<p><a href="${model.basePath}">${t('common.back_to_portal')}</a></p>`;
  return renderLayout({ ...model, title: t('methods.title'), wide: true, body, script: webauthn && model.canManage ? 'webauthn' : undefined });
}

// Read-only until the user proves a second factor again: a stolen session alone must not change them.
function renderConfirmFirst(model: MethodsPageModel): SafeHtml {
  const { t } = model;
  const href = toSafeHref(model.confirmUrl);
  const refused = model.notice === 'needs_fresh_factor';
  return html`<div class="notice"${refused ? html` role="alert"` : ''}>
<p>${t(model.devices.length + (model.webauthn?.credentials.length ?? 0) + (model.push?.phones.length ?? 0) === 0 ? 'methods.confirm_first_enroll' : 'methods.confirm_first')}</p>
${href && html`<p><a class="button button-primary" href="${href}">${t('methods.confirm_link')}</a></p>`}
</div>`;
}

function renderCredentials(model: MethodsPageModel, credentials: MethodsPageCredential[]): SafeHtml {
  const { t } = model;
  return html`<section class="card" aria-labelledby="webauthn-heading">
<h2 id="webauthn-heading">${t('methods.webauthn_heading')}</h2>
<p>${t('methods.webauthn_intro')}</p>
${renderCredentialList({ ...model, credentials, otherFactors: model.devices.length + (model.push?.phones.length ?? 0) })}
${model.canManage && renderAddCredential(model)}
</section>`;
}

/**
 * Adding needs the browser's WebAuthn API, so the form is hidden until static/webauthn.js shows it;
 * it posts nothing itself (the script sends the name with the new credential). Without the
 * script, a note says what is needed instead.
 */
function renderAddCredential(model: MethodsPageModel): SafeHtml {
  const { t } = model;
  return html`<div class="webauthn"${renderWebAuthnData(model, 'register')} hidden>
<h3 id="webauthn-add-heading">${t('methods.webauthn_add_heading')}</h3>
${renderWebAuthnAlertSlot()}
<form id="webauthn-register" class="form" aria-labelledby="webauthn-add-heading">
<div class="field">
<label for="webauthn-name">${t('methods.add_name_label')}</label>
<input id="webauthn-name" name="${CREDENTIAL_FIELDS.name}" type="text" maxlength="${CREDENTIAL_NAME_MAX_LENGTH}" autocomplete="off" required aria-describedby="webauthn-name-hint">
<p id="webauthn-name-hint" class="hint">${t('methods.webauthn_name_hint')}</p>
</div>
<div><button id="webauthn-start" type="submit" class="button button-primary">${t('methods.webauthn_add_submit')}</button></div>
</form>
</div>
<p id="webauthn-fallback" class="hint">${t('methods.webauthn_needs_script')}</p>`;
}

function renderAddTotp(model: MethodsPageModel): SafeHtml {
  const { t } = model;
  return html`<h3 id="add-heading">${t('methods.add_heading')}</h3>
<form class="form" method="post" action="${model.basePath}methods/totp/start" aria-labelledby="add-heading">
<input type="hidden" name="${METHODS_FIELDS.csrf}" value="${model.csrfToken}">
<div class="field">
<label for="totp-name">${t('methods.add_name_label')}</label>
<input id="totp-name" name="${METHODS_FIELDS.name}" type="text" value="${t('methods.totp_default_name')}" maxlength="${DEVICE_NAME_MAX_LENGTH}" autocomplete="off" required aria-describedby="totp-name-hint">
<p id="totp-name-hint" class="hint">${t('methods.add_name_hint')}</p>
</div>
<div><button type="submit" class="button button-primary">${t('methods.add_submit')}</button></div>
</form>`;
}

/** The number SMS codes go to: the directory's (read-only), or the user's own with its remove form, or a way to add one. */
function renderSmsNumber(model: MethodsPageModel, sms: NonNullable<MethodsPageModel['sms']>): SafeHtml {
  const { t } = model;
  const own = sms.masked !== null && !sms.fromDirectory;
  return html`<section class="card" aria-labelledby="sms-heading">
<h2 id="sms-heading">${t('sms_number.heading')}</h2>
<p>${t('sms_number.intro')}</p>
<p class="count">${sms.masked === null ? t('sms_number.none') : t(sms.fromDirectory ? 'sms_number.from_directory' : 'sms_number.yours', { number: sms.masked })}</p>
${
  model.canManage &&
  own &&
  html`<form method="post" action="${model.basePath}methods/sms/remove">
<input type="hidden" name="${METHODS_FIELDS.csrf}" value="${model.csrfToken}">
<button type="submit" class="button button-secondary">${t('sms_number.remove')}</button>
</form>`
}
${model.canManage && sms.masked === null && html`<p><a class="button button-secondary" href="${model.basePath}methods/sms/add">${t('sms_number.add')}</a></p>`}
</section>`;
}

function renderRecoveryCodes(model: MethodsPageModel): SafeHtml {
  const { t, locale } = model;
  const { remaining, total } = model.recoveryCodes;
  const count = (n: number) => new Intl.NumberFormat(locale).format(n);
  const has = total > 0;
  return html`<section class="card" aria-labelledby="recovery-heading">
<h2 id="recovery-heading">${t('methods.recovery_heading')}</h2>
<p>${t('methods.recovery_intro')}</p>
<p class="count">${has ? t('methods.recovery_left', { remaining: count(remaining), total: count(total) }) : t('methods.recovery_none')}</p>
${
  model.canManage &&
  html`<form method="post" action="${model.basePath}methods/recovery-codes">
<input type="hidden" name="${METHODS_FIELDS.csrf}" value="${model.csrfToken}">
<button type="submit" class="button button-secondary"${has ? html` aria-describedby="recovery-regenerate-hint"` : ''}>${t(has ? 'methods.recovery_regenerate' : 'methods.recovery_create')}</button>
${has && html`<p id="recovery-regenerate-hint" class="hint">${t('methods.recovery_regenerate_hint')}</p>`}
</form>`
}
</section>`;
}
