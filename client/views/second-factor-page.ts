import type { OtpDigits } from '../../server/factors/otp/generate-otp.js';
import type { MessageKey } from '../i18n.js';
import { describeDeviceKind, type OtpDeviceKind } from './device-text.js';
import { renderTime } from './format-time.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderOtpCodeField } from './otp-code-field.js';
import type { SentCodeChannelName } from './sent-code-page.js';
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
  /** A hardware token's serial; null or absent for an app. */
  serial?: string | null;
  /** The offline codes of a phone enrolled for push approval (the Gatehouse app), named after the phone. */
  phoneApp?: boolean;
  /** How many digits its codes have, when known: the field and its hint say so. */
  digits?: OtpDigits;
}

export interface SecondFactorPageModel extends PageContext {
  csrfToken: string;
  /** Where to go afterwards; already checked by the server. Sent back as `rd`. */
  redirectTarget?: string;
  devices: SecondFactorDeviceChoice[];
  /** Preselected device (the last one used); without a match, the most recently used one. */
  selectedDeviceId?: string;
  /** The kind of factor the user completed last ('webauthn', 'push', 'totp', …): that method leads the page. */
  lastFactorKind?: string;
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
  /** The user has a passkey or security key that this step accepts: offered through static/webauthn.js. */
  webauthnAvailable?: boolean;
  /** Phones enrolled for push approval that this step accepts: "Approve on my phone", with a choice when several. */
  pushDevices?: Array<{ id: string; name: string }>;
  /**
   * Push is suspended for the account (a request was reported as "This wasn't me"): its phones are
   * neither offered nor lead — a push to them would be refused — and a note says why.
   */
  pushSuspended?: boolean;
  /** Codes by email or SMS this step accepts, with where they would go (masked). */
  sentCodes?: Array<{ channel: SentCodeChannelName; masked: string }>;
}

/** Form field names the server reads from the POST to `second-factor`. */
export const SECOND_FACTOR_FIELDS = { csrf: 'csrf', device: 'device', code: 'code', redirectTarget: 'rd' } as const;
/** The `device` value of the recovery-code form. */
export const RECOVERY_DEVICE = 'recovery';
export const RECOVERY_CODE_MAX_LENGTH = 32;

/** The ways through this step, in the order offered when nothing says which the user prefers: phishing-resistant first. */
export type SecondFactorMethod = 'webauthn' | 'push' | 'code' | 'email' | 'sms' | 'recovery';
const METHOD_ORDER: readonly SecondFactorMethod[] = ['webauthn', 'push', 'code', 'email', 'sms', 'recovery'];

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

/**
 * Asks for the second factor after the password, or again for a step-up or a stale one. The
 * method the user is most likely to use leads, as the page's one primary action and with the
 * focus; the others wait under "Other ways to sign in".
 */
export function renderSecondFactorPage(model: SecondFactorPageModel): string {
  const { t, error } = model;
  const title = t(model.reason !== 'sign_in' ? 'mfa.title_confirm' : namesNoMethod(model) ? 'mfa.title_finish' : 'mfa.title_sign_in');
  const message = error === undefined ? undefined : errorMessage(error, model.submittedWith === 'recovery');
  const methods = availableMethods(model);
  const lead = leadMethod(model, methods);
  const others = methods.filter((m) => m !== lead);
  // The focus goes where the user will act: the lead, or the recovery field their error is about.
  const focus: SecondFactorMethod | undefined = error !== undefined && model.submittedWith === 'recovery' && methods.includes('recovery') ? 'recovery' : lead;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${title}</h1>
<p class="lead">${intro(model)}</p>
${model.reason === 'sign_in' && html`<p class="hint">${t('mfa.why')}</p>`}
${message !== undefined && html`<div id="form-error" class="alert" role="alert"><p>${t(message)}</p></div>`}
${model.pushSuspended === true && (model.pushDevices?.length ?? 0) > 0 && html`<div id="push-suspended" class="notice" role="status"><p>${t('push.error_suspended')}</p></div>`}
${!methods.some((m) => m !== 'recovery') && renderNoDevices(model, lead === undefined)}
${
  lead !== undefined &&
  html`<div class="lead-method">
${renderMethod(model, lead, { lead: true, focus: focus === lead, hasOthers: others.length > 0 })}
</div>`
}
${others.length > 0 && renderOtherMethods(model, others, focus)}
<p>${model.reason === 'sign_in' ? html`<a href="${model.basePath}logout">${t('mfa.sign_in_other')}</a>` : html`<a href="${model.basePath}">${t('common.back_to_portal')}</a>`}</p>
</section>`;
  return renderLayout({ ...model, title, hasError: error !== undefined, body, script: methods.includes('webauthn') ? 'webauthn' : undefined });
}

export function availableMethods(model: SecondFactorPageModel): SecondFactorMethod[] {
  const has: Record<SecondFactorMethod, boolean> = {
    webauthn: model.webauthnAvailable === true,
    push: offersPush(model),
    code: model.devices.length > 0,
    email: (model.sentCodes ?? []).some((s) => s.channel === 'email'),
    sms: (model.sentCodes ?? []).some((s) => s.channel === 'sms'),
    recovery: model.recoveryCodesAllowed,
  };
  return METHOD_ORDER.filter((m) => has[m]);
}

/**
 * The method that leads: the one an error is about; else the kind the user completed last; else
 * the first on offer (a recovery code leads only when it is the only way in).
 */
export function leadMethod(model: SecondFactorPageModel, methods: readonly SecondFactorMethod[] = availableMethods(model)): SecondFactorMethod | undefined {
  const last = model.lastFactorKind;
  const wanted: SecondFactorMethod | undefined =
    model.error !== undefined && model.submittedWith === 'device'
      ? 'code'
      : last === 'totp' || last === 'hotp'
        ? 'code'
        : last === 'webauthn' || last === 'push'
          ? last
          : last === 'email_otp'
            ? 'email'
            : last === 'sms_otp'
              ? 'sms'
              : undefined;
  if (wanted !== undefined && methods.includes(wanted)) return wanted;
  return methods.find((m) => m !== 'recovery') ?? methods[0];
}

interface Placement {
  /** The page's one primary action. */
  lead: boolean;
  /** Gets the focus when the page loads. */
  focus: boolean;
  /** Other methods are on offer under it. */
  hasOthers: boolean;
}

function renderMethod(model: SecondFactorPageModel, method: SecondFactorMethod, placement: Placement): SafeHtml {
  switch (method) {
    case 'webauthn':
      return renderWebAuthnOption(model, placement);
    case 'push':
      return renderPushOption(model, placement);
    case 'code':
      return renderDeviceForm(model, placement);
    case 'email':
    case 'sms':
      return renderSentCodeOption(model, method, placement);
    case 'recovery':
      return renderRecoveryForm(model, placement);
  }
}

// A <details> keeps the other methods one click away and works without JavaScript; it opens by
// itself when the error shown is about one of them (a recovery code).
function renderOtherMethods(model: SecondFactorPageModel, methods: SecondFactorMethod[], focus: SecondFactorMethod | undefined): SafeHtml {
  const { t } = model;
  const open = focus !== undefined && methods.includes(focus);
  return html`<details class="alternative other-methods"${open ? html` open` : ''}>
<summary>${t(model.reason === 'sign_in' ? 'mfa.other_ways' : 'mfa.other_ways_confirm')}</summary>
<ul class="method-list">
${methods.map(
  (method) => html`<li class="method-${method}"${method === 'webauthn' ? html` hidden` : ''}>
${renderMethod(model, method, { lead: false, focus: focus === method, hasOthers: true })}
</li>\n`,
)}</ul>
</details>`;
}

// The error arrives from the server at run time; an unknown value shows the generic text, never raw.
function errorMessage(error: SecondFactorError, onRecovery: boolean): MessageKey {
  if (onRecovery && Object.hasOwn(RECOVERY_ERRORS, error)) return RECOVERY_ERRORS[error]!;
  return Object.hasOwn(ERRORS, error) ? ERRORS[error] : 'mfa.error_invalid_code';
}

/** Whether anything but an app or token code is on offer: the title and intro then name no method. */
function namesNoMethod(model: SecondFactorPageModel): boolean {
  return model.webauthnAvailable === true || offersPush(model) || (model.sentCodes?.length ?? 0) > 0;
}

const offersPush = (model: SecondFactorPageModel) => (model.pushDevices?.length ?? 0) > 0 && model.pushSuspended !== true;

// With a security key, a phone or a sent code on offer the intro stops saying "enter the code from your app".
function intro(model: SecondFactorPageModel): string {
  const { t, reason, siteName } = model;
  const keys: Record<SecondFactorReason, [MessageKey, MessageKey]> = namesNoMethod(model)
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

const buttonClass = (lead: boolean) => (lead ? 'button button-primary button-block' : 'button button-secondary');

/**
 * The security key button, hidden (and so is its place in the list of other methods) until
 * static/webauthn.js finds WebAuthn in this browser; the script also gives it the focus when it leads. Leading, a note says what is missing where the
 * script cannot run; the script hides it.
 */
function renderWebAuthnOption(model: SecondFactorPageModel, { lead, focus, hasOthers }: Placement): SafeHtml {
  const { t } = model;
  return html`${renderWebAuthnAlertSlot()}
<div class="webauthn"${renderWebAuthnData(model, 'second-factor')} hidden>
<button id="webauthn-start" type="button" class="${buttonClass(lead)}"${focus ? html` autofocus` : ''}>${t('mfa.webauthn_button')}</button>
</div>
${lead && html`<p id="webauthn-fallback">${t(hasOthers ? 'mfa.webauthn_needs_script_other' : 'mfa.webauthn_needs_script')}</p>`}`;
}

/** "Approve on my phone": posts to second-factor/push, which shows the number to carry over. */
function renderPushOption(model: SecondFactorPageModel, { lead, focus }: Placement): SafeHtml {
  const { t } = model;
  const phones = model.pushDevices ?? [];
  const only = phones.length === 1 ? phones[0] : undefined;
  return html`<form class="form push-option" method="post" action="${model.basePath}second-factor/push">
${hiddenFields(model)}
${
  only
    ? html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${only.id}">`
    : html`<div class="field">
<label for="push-device">${t('push.option_choose')}</label>
<select id="push-device" name="${SECOND_FACTOR_FIELDS.device}">
${phones.map((phone) => html`<option value="${phone.id}"${phone.id === model.selectedDeviceId ? html` selected` : ''}>${phone.name}</option>\n`)}</select>
</div>`
}
<div><button id="push-start" type="submit" class="${buttonClass(lead)}" aria-describedby="push-option-hint"${focus ? html` autofocus` : ''}>${t('push.option_button')}</button></div>
<p id="push-option-hint" class="hint">${t('push.option_hint')}</p>
</form>`;
}

/** "Email a code to a••••@corp.example", "Text a code to •••• 678": posts to second-factor/code/…/send. */
function renderSentCodeOption(model: SecondFactorPageModel, channel: SentCodeChannelName, { lead, focus }: Placement): SafeHtml {
  const { t } = model;
  const option = (model.sentCodes ?? []).find((s) => s.channel === channel)!;
  return html`<form class="form sent-code-option" method="post" action="${model.basePath}second-factor/code/${channel}/send">
${hiddenFields(model)}
<div><button id="send-${channel}" type="submit" class="${buttonClass(lead)}" aria-describedby="${channel}-option-hint"${focus ? html` autofocus` : ''}>${t(channel === 'email' ? 'sent_code.option_email' : 'sent_code.option_sms', { to: option.masked })}</button></div>
<p id="${channel}-option-hint" class="hint">${t('sent_code.option_hint')}</p>
</form>`;
}

function hiddenFields(model: SecondFactorPageModel): SafeHtml {
  return html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.csrf}" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.redirectTarget}" value="${model.redirectTarget}">`}`;
}

/** What a code device is, in words: the Gatehouse app's codes, an app, or a TOTP or HOTP hardware token. */
function describeCodeDevice(model: SecondFactorPageModel, device: SecondFactorDeviceChoice): string {
  return device.phoneApp === true ? model.t('otp.kind_phone_app') : describeDeviceKind(model.t, device.kind, device.serial);
}

function renderDeviceForm(model: SecondFactorPageModel, { lead, focus }: Placement): SafeHtml {
  const { t, devices } = model;
  const only = devices.length === 1 ? devices[0] : undefined;
  const field = model.error !== undefined && model.submittedWith !== 'recovery' && FIELD_ERRORS.has(model.error) ? 'form-error' : undefined;
  // The count is said (and checked) when every device offered uses the same one; else "6 or 8".
  const counts = [...new Set(devices.map((d) => d.digits))];
  const digits = counts.length === 1 && counts[0] !== undefined ? counts[0] : undefined;
  return html`<form class="form code-option" method="post" action="${model.basePath}second-factor">
${hiddenFields(model)}
${
  only
    ? html`<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${only.id}">
<p>${t('mfa.using_device', { device: only.name, kind: describeCodeDevice(model, only) })}</p>`
    : renderDeviceChoice(model)
}
${renderOtpCodeField({
  id: 'code',
  label: t('otp.code_label'),
  hint: digits === undefined ? t('mfa.code_hint') : t('mfa.code_hint_digits', { digits: new Intl.NumberFormat(model.locale).format(digits) }),
  digits: digits === undefined ? undefined : [digits],
  errorId: field,
  autofocus: focus,
})}
<div><button type="submit" class="${buttonClass(lead)}">${t('mfa.submit')}</button></div>
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
<label for="device-${i}"><span class="option-name">${device.name}</span> <span class="meta">${translateHtml(t, 'mfa.device_meta', { kind: describeCodeDevice(model, device), used })}</span></label>
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

/** No device to use: where to set one up — the primary action, unless a recovery code is there to lead. */
function renderNoDevices({ t, setUpUrl }: SecondFactorPageModel, primary: boolean): SafeHtml {
  const href = toSafeHref(setUpUrl);
  return html`<p>${t('mfa.no_devices')}</p>
<p>${href ? html`<a${primary ? html` class="button button-primary"` : ''} href="${href}">${t('mfa.set_up')}</a>` : t('mfa.no_devices_contact')}</p>`;
}

function renderRecoveryForm(model: SecondFactorPageModel, { lead, focus }: Placement): SafeHtml {
  const { t } = model;
  const errorId = model.error !== undefined && model.submittedWith === 'recovery' && FIELD_ERRORS.has(model.error) ? 'form-error' : undefined;
  const describedBy = errorId ? `recovery-code-hint ${errorId}` : 'recovery-code-hint';
  return html`<form class="form recovery-option" method="post" action="${model.basePath}second-factor">
${hiddenFields(model)}
<input type="hidden" name="${SECOND_FACTOR_FIELDS.device}" value="${RECOVERY_DEVICE}">
<div class="field">
<label for="recovery-code">${t('mfa.recovery_label')}</label>
<input id="recovery-code" name="${SECOND_FACTOR_FIELDS.code}" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="${RECOVERY_CODE_MAX_LENGTH}" required aria-describedby="${describedBy}"${errorId ? html` aria-invalid="true"` : ''}${focus ? html` autofocus` : ''}>
<p id="recovery-code-hint" class="hint">${t('mfa.recovery_hint')}</p>
</div>
<div><button type="submit" class="${buttonClass(lead)}">${t('mfa.recovery_submit')}</button></div>
</form>`;
}
