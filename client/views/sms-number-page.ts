import type { MessageKey } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderOtpCodeField } from './otp-code-field.js';

/** Why the last step failed, as the page says it. */
export type SmsNumberError = 'malformed' | 'invalid' | 'not-mobile' | 'country' | 'throttled' | 'cooldown' | 'rate-limited' | 'invalid-code' | 'expired' | 'replayed' | 'csrf';

const ERRORS: Readonly<Record<SmsNumberError, MessageKey>> = {
  malformed: 'sms_number.error_malformed',
  invalid: 'sms_number.error_invalid',
  'not-mobile': 'sms_number.error_not_mobile',
  country: 'sms_number.error_country',
  throttled: 'sms_number.error_throttled',
  cooldown: 'sms_number.error_rate_limited',
  'rate-limited': 'sms_number.error_rate_limited',
  'invalid-code': 'sms_number.error_invalid_code',
  expired: 'sms_number.error_expired',
  replayed: 'sms_number.error_expired',
  csrf: 'sms_number.error_csrf',
};

export interface SmsNumberPageModel extends PageContext {
  csrfToken: string;
  /** Set once a code was sent: the number (E.164, the user's own typing) and how it is shown. */
  sent?: { e164: string; masked: string; digits: 6 | 8 };
  error?: SmsNumberError;
  /** The number as typed, shown again when it was refused. */
  written?: string;
}

/**
 * Adding one's own mobile number for SMS codes: the number, then the code texted to it. The
 * number is never shown whole after this page (the methods page shows "•••• 678").
 */
export function renderSmsNumberPage(model: SmsNumberPageModel): string {
  const { t } = model;
  const error = model.error && html`<div id="sms-number-error" class="alert" role="alert"><p>${t(ERRORS[model.error])}</p></div>`;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('sms_number.title')}</h1>
${error}
${model.sent ? renderCodeForm(model, model.sent) : renderNumberForm(model)}
<p><a href="${model.basePath}methods">${t('sms_number.back')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('sms_number.title'), body });
}

export function renderNumberForm(model: SmsNumberPageModel): SafeHtml {
  const { t } = model;
  return html`<form class="form" method="post" action="${model.basePath}methods/sms/add">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="sms-number">${t('sms_number.number_label')}</label>
<input id="sms-number" name="number" type="tel" autocomplete="tel" maxlength="32" value="${model.written ?? ''}" required aria-describedby="${model.error ? 'sms-number-hint sms-number-error' : 'sms-number-hint'}"${model.error ? html` aria-invalid="true"` : ''}>
<p id="sms-number-hint" class="hint">${t('sms_number.number_hint')}</p>
</div>
<div><button type="submit" class="button button-primary">${t('sms_number.send')}</button></div>
</form>`;
}

function renderCodeForm(model: SmsNumberPageModel, sent: NonNullable<SmsNumberPageModel['sent']>): SafeHtml {
  const { t } = model;
  return html`<p class="lead">${t('sms_number.sent', { number: sent.masked })}</p>
<form class="form" method="post" action="${model.basePath}methods/sms/confirm">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="number" value="${sent.e164}">
${renderOtpCodeField({ id: 'sms-code', label: t('sms_number.code_label'), hint: t('sms_number.code_hint'), digits: [sent.digits], autofocus: true, ...(model.error ? { errorId: 'sms-number-error' } : {}) })}
<div><button type="submit" class="button button-primary">${t('sms_number.confirm')}</button></div>
</form>`;
}
