import type { MessageKey } from '../i18n.js';
import { describeDeviceKind, type OtpDeviceKind } from './device-text.js';
import { renderTime } from './format-time.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderOtpCodeField } from './otp-code-field.js';
import { toSafeHref } from './safe-href.js';
import { translateHtml } from './translate-html.js';
import { renderWebAuthnAlertSlot, renderWebAuthnData } from './webauthn-data.js';

export type SecondFactorError = 'invalid_code' | 'replayed' | 'malformed' | 'throttled' | 'csrf' | 'store_unavailable';
export type SecondFactorReason = 'sign_in' | 'step_up' | 'stale';

export interface SecondFactorDeviceChoice {
  id: string;
  kind: OtpDeviceKind;
  name: string;
  lastUsedAt: number | null;
}

export interface SecondFactorPageModel extends PageContext {
  csrfToken: string;
  /** Where to go afterwards; already checked by the server. Sent back as `rd`. */
  redirectTarget?: string;
  devices: SecondFactorDeviceChoice[];
  /** Preselected device (the last one used); without a match, the most recently used one. */
  selectedDeviceId?: string;
  recoveryCodesAllowed: boolean;
  /** After the password, a rule asking for a factor this session lacks, or one too old. */
  reason: SecondFactorReason;
  error?: SecondFactorError;
  /** Which form the error is about; 'recovery' opens the recovery-code form and marks its field. */
  submittedWith?: 'device' | 'recovery';
  siteName?: string;
  /** Where a user with no device can set one up (the enrollment gate). */
  setUpUrl?: string;
  /** IANA zone for "last used" times; defaults to the server's. */
  timeZone?: string;
  /** The user has a passkey or security key that this step accepts: offered first, through static/webauthn.js. */
  webauthnAvailable?: boolean;
  /** Phones enrolled for push approval that this step accepts: "Approve on my phone", with a choice when several. */
  pushDevices?: Array<{ id: string; name: string }>;
}

/** Form field names the server reads from the POST to `second-factor`. */
export const SECOND_FACTOR_FIELDS = { csrf: 'csrf', device: 'device', code: 'code', redirectTarget: 'rd' } as const;
/** The `device` value of the recovery-code form. */
export const RECOVERY_DEVICE = 'recovery';
export const RECOVERY_CODE_MAX_LENGTH = 32;

const ERRORS: Record<SecondFactorError, MessageKey> = {
  invalid_code: 'mfa.error_invalid_code',
  replayed: 'mfa.error_replayed',
  malformed: 'mfa.error_malformed',
  throttled: 'mfa.error_throttled',
  csrf: 'mfa.error_csrf',
  store_unavailable: 'error.store_unavailable',
};
const RECOVERY_ERRORS: Partial<Record<SecondFactorError, MessageKey>> = {
  invalid_code: 'mfa.error_invalid_recovery',
  replayed: 'mfa.error_invalid_recovery',
  malformed: 'mfa.error_malformed_recovery',
};
/** Errors about what was typed mark the code field; the others are about the page or the service. */
const FIELD_ERRORS: ReadonlySet<SecondFactorError> = new Set(['invalid_code', 'replayed', 'malformed']);

/** Asks for the second factor after the password, or again for a step-up or a stale one. */
export function renderSecondFactorPage(model: SecondFactorPageModel): string {
  const { t, error } = model;
  const onRecovery = model.submittedWith === 'recovery';
  const fieldError = error !== undefined && FIELD_ERRORS.has(error) ? 'form-error' : undefined;
  const push = model.pushDevices ?? [];
  const title = t(model.reason !== 'sign_in' ? 'mfa.title_confirm' : model.webauthnAvailable === true || push.length > 0 ? 'mfa.title_finish' : 'mfa.title_sign_in');
  const message = error === undefined ? undefined : errorMessage(error, onRecovery);
  const hasDevices = model.devices.length > 0;
  const webauthn = model.webauthnAvailable === true;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${title}</h1>
<p class="lead">${intro(model)}</p>
${model.reason === 'sign_in' && html`<p class="hint">${t('mfa.why')}</p>`}
${message !== undefined && html`<div id="form-error" class="alert" role="alert"><p>${t(message)}</p></div>`}
${webauthn && renderWebAuthnOption(model, hasDevices)}
${push.length > 0 && renderPushOption(model, push, hasDevices)}
${hasDevices ? renderDeviceForm(model, onRecovery ? undefined : fieldError) : !webauthn && push.length === 0 && renderNoDevices(model)}
${model.recoveryCodesAllowed && renderRecoveryForm(model, onRecovery, onRecovery ? fieldError : undefined, !hasDevices && !webauthn)}
<p>${model.reason === 'sign_in' ? html`<a href="${model.basePath}logout">${t('mfa.sign_in_other')}</a>` : html`<a href="${model.basePath}">${t('common.back_to_portal')}</a>`}</p>
</section>`;
  return renderLayout({ ...model, title, hasError: error !== undefined, body, scripts: webauthn ? ['webauthn'] : [] });
}

// The error arrives from the server at run time; an unknown value shows the generic text, never raw.
function errorMessage(error: SecondFactorError, onRecovery: boolean): MessageKey {
  if (onRecovery && Object.hasOwn(RECOVERY_ERRORS, error)) return RECOVERY_ERRORS[error]!;
  return Object.hasOwn(ERRORS, error) ? ERRORS[error] : 'mfa.error_invalid_code';
}

// With a security key on offer the intro stops saying "enter the code": it names no method.
function intro({ t, reason, siteName, webauthnAvailable, pushDevices }: SecondFactorPageModel): string {
  const keys: Record<SecondFactorReason, [MessageKey, MessageKey]> = webauthnAvailable === true || (pushDevices?.length ?? 0) > 0
    ? {
        sign_in: ['mfa.intro_sign_in_any', 'mfa.intro_sign_in_any_site'],
        step_up: ['mfa.intro_step_up_any', 'mfa.intro_step_up_any_site'],
        stale: ['mfa.intro_stale_any', 'mfa.intro_stale_any_site'],
      }
    : {
        sign_in: ['mfa.intro_sign_in', 'mfa.intro_sign_in_site'],
        step_up: ['mfa.intro_step_up', 'mfa.intro_step_up_site'],
        stale: ['mfa.intro_stale', 'mfa.intro_stale_site'],
      };
  const [plain, withSite] = Object.hasOwn(keys, reason) ? keys[reason] : keys.sign_in;
  return siteName ? t(withSite, { site: siteName }) : t(plain);
}

/**
 * The security key button, hidden until static/webauthn.js finds WebAuthn in this browser. When
 * it is the only way in, a note says why nothing else is shown; the script hides it again.
 */
function renderWebAuthnOption(model: SecondFactorPageModel, hasDevices: boolean): SafeHtml {
  const { t } = model;
  return html`${renderWebAuthnAlertSlot()}
<div class="webauthn"${renderWebAuthnData(model, 'second-factor')} hidden>
<button id="webauthn-start" type="button" class="button button-primary button-block">${t('mfa.webauthn_button')}</button>
${hasDevices && html`<p class="divider">${t('mfa.or_code')}</p>`}
</div>
${!hasDevices && html`<p id="webauthn-fallback">${t('mfa.webauthn_needs_script')}</p>`}`;
}

/** "Approve on my phone": posts to second-factor/push, which shows the number to carry over. */
function renderPushOption(model: SecondFactorPageModel, phones: Array<{ id: string; name: string }>, hasDevices: boolean): SafeHtml {
  const { t } = model;
  const only = phones.length === 1 ? phones[0] : undefined;
  return html`<form class="form push-option" method="post" action="${model.basePath}second-factor/push">
${hiddenFields(model)}
${only
  ? html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${only.id}">`
  : html`<div class="field">
<label for="push-device">${t('push.option_choose')}</label>
<select id="push-device" name="${SECOND_FACTOR_FIELDS.device}">
${phones.map((phone) => html`<option value="${phone.id}"${phone.id === model.selectedDeviceId ? html` selected` : ''}>${phone.name}</option>\n`)}</select>
</div>`}
<button type="submit" class="button button-primary button-block" aria-describedby="push-option-hint">${t('push.option_button')}</button>
<p id="push-option-hint" class="hint">${t('push.option_hint')}</p>
</form>
${hasDevices && html`<p class="divider">${t('mfa.or_code')}</p>`}`;
}

function hiddenFields(model: SecondFactorPageModel): SafeHtml {
  return html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.csrf}" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.redirectTarget}" value="${model.redirectTarget}">`}`;
}

function renderDeviceForm(model: SecondFactorPageModel, errorId: string | undefined): SafeHtml {
  const { t, devices } = model;
  const only = devices.length === 1 ? devices[0] : undefined;
  return html`<form class="form" method="post" action="${model.basePath}second-factor">
${hiddenFields(model)}
${only
  ? html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${only.id}">
<p>${t('mfa.using_device', { device: only.name, kind: describeDeviceKind(t, only.kind) })}</p>`
  : renderDeviceChoice(model)}
${renderOtpCodeField({ id: 'code', label: t('otp.code_label'), hint: t('mfa.code_hint'), errorId, autofocus: model.submittedWith !== 'recovery' })}
<button type="submit" class="button button-primary button-block">${t('mfa.submit')}</button>
</form>`;
}

/** Several devices: the user picks one, as the MOTP portals they know ask "choose your phone". */
function renderDeviceChoice(model: SecondFactorPageModel): SafeHtml {
  const { t, devices } = model;
  const selected = preselect(devices, model.selectedDeviceId);
  return html`<fieldset class="options">
<legend>${t('mfa.choose_device')}</legend>
${devices.map((device, i) => {
  const used = device.lastUsedAt === null ? t('otp.never_used') : translateHtml(t, 'otp.last_used', { time: renderTime(model.locale, device.lastUsedAt, model.timeZone) });
  return html`<div class="option">
<input id="device-${i}" type="radio" name="${SECOND_FACTOR_FIELDS.device}" value="${device.id}" required${i === selected ? html` checked` : ''}>
<label for="device-${i}"><span class="option-name">${device.name}</span> <span class="meta">${translateHtml(t, 'mfa.device_meta', { kind: describeDeviceKind(t, device.kind), used })}</span></label>
</div>\n`;
})}</fieldset>`;
}

function preselect(devices: SecondFactorDeviceChoice[], selectedId: string | undefined): number {
  const chosen = selectedId === undefined ? -1 : devices.findIndex((d) => d.id === selectedId);
  if (chosen >= 0) return chosen;
  let latest = 0;
  devices.forEach((d, i) => {
    if ((d.lastUsedAt ?? -Infinity) > (devices[latest]!.lastUsedAt ?? -Infinity)) latest = i;
  });
  return latest;
}

function renderNoDevices({ t, setUpUrl }: SecondFactorPageModel): SafeHtml {
  const href = toSafeHref(setUpUrl);
  return html`<p>${t('mfa.no_devices')}</p>
<p>${href ? html`<a class="button button-primary" href="${href}">${t('mfa.set_up')}</a>` : t('mfa.no_devices_contact')}</p>`;
}

// A <details> keeps this one click away and works without JavaScript; it opens by itself when it is the only way in.
function renderRecoveryForm(model: SecondFactorPageModel, open: boolean, errorId: string | undefined, only: boolean): SafeHtml {
  const { t } = model;
  const describedBy = errorId ? `recovery-code-hint ${errorId}` : 'recovery-code-hint';
  return html`<details class="alternative"${open || only ? html` open` : ''}>
<summary>${t('mfa.recovery_toggle')}</summary>
<form class="form" method="post" action="${model.basePath}second-factor">
${hiddenFields(model)}
<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${RECOVERY_DEVICE}">
<div class="field">
<label for="recovery-code">${t('mfa.recovery_label')}</label>
<input id="recovery-code" name="${SECOND_FACTOR_FIELDS.code}" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="${RECOVERY_CODE_MAX_LENGTH}" required aria-describedby="${describedBy}"${errorId ? html` aria-invalid="true"` : ''}${open ? html` autofocus` : ''}>
<p id="recovery-code-hint" class="hint">${t('mfa.recovery_hint')}</p>
</div>
<button type="submit" class="button button-secondary">${t('mfa.recovery_submit')}</button>
</form>
</details>`;
}
