import type { MessageKey } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export type EnrollmentGateError = 'expired_or_used' | 'invalid' | 'email_failed' | 'csrf';

export interface EnrollmentGatePageModel extends PageContext {
  csrfToken: string;
  /** A code sent by email; `maskedAddress` is what may be shown ("a***@example.com"). */
  emailOption: { enabled: boolean; maskedAddress: string | null; sent: boolean };
  /** An enrollment code issued by the IT desk is accepted. */
  codeOption: boolean;
  error?: EnrollmentGateError;
  /** Where to go once enrolled; already checked by the server. Sent back as `rd`. */
  redirectTarget?: string;
}

/** Form field names the server reads from the POSTs to `enroll/email` and `enroll/code`. */
export const ENROLLMENT_FIELDS = { csrf: 'csrf', code: 'code', redirectTarget: 'rd' } as const;
export const ENROLLMENT_CODE_MAX_LENGTH = 64;

const ERRORS: Readonly<Record<string, MessageKey>> = {
  expired_or_used: 'enroll_gate.error_expired_or_used',
  invalid: 'enroll_gate.error_invalid',
  email_failed: 'enroll_gate.error_email_failed',
  csrf: 'enroll_gate.error_csrf',
};
const FIELD_ERRORS: ReadonlySet<string> = new Set(['expired_or_used', 'invalid']);

/**
 * A user with no second factor proves it is them with a one-time code (by email, or from the
 * IT desk) before adding one, so that a stolen password alone can never enroll an attacker's device.
 */
export function renderEnrollmentGatePage(model: EnrollmentGatePageModel): string {
  const { t, error } = model;
  const canEmail = model.emailOption.enabled && model.emailOption.maskedAddress !== null;
  // An emailed code is typed into the same form as one from the IT desk.
  const canEnterCode = model.codeOption || canEmail || (model.emailOption.enabled && model.emailOption.sent);
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('enroll_gate.title')}</h1>
<p class="lead">${t('enroll_gate.intro')}</p>
${error !== undefined && renderError(model, canEmail)}
${!canEnterCode && html`<p>${t('enroll_gate.none')}</p>`}
</section>
${model.emailOption.enabled && renderEmailOption(model)}
${canEnterCode && renderCodeForm(model, error !== undefined && FIELD_ERRORS.has(error))}
<p><a href="${model.basePath}">${t('common.back_to_portal')}</a></p>`;
  return renderLayout({ ...model, title: t('enroll_gate.title'), hasError: error !== undefined, body });
}

// "Expired or used" says plainly how to start again, with only the ways this user has.
function renderError(model: EnrollmentGatePageModel, canEmail: boolean): SafeHtml {
  const { t, error } = model;
  const key = error !== undefined && Object.hasOwn(ERRORS, error) ? ERRORS[error]! : ERRORS.invalid!;
  const restart: MessageKey[] = [];
  if (error === 'expired_or_used') {
    if (canEmail) restart.push('enroll_gate.restart_email');
    if (model.codeOption || !canEmail) restart.push('enroll_gate.restart_admin');
  }
  return html`<div id="form-error" class="alert" role="alert"><p>${t(key)}</p>
${
  restart.length > 0 &&
  html`<ul>
${restart.map((k) => html`<li>${t(k)}</li>\n`)}</ul>`
}
</div>`;
}

function hiddenFields(model: EnrollmentGatePageModel): SafeHtml {
  return html`<input type="hidden" name="${ENROLLMENT_FIELDS.csrf}" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="${ENROLLMENT_FIELDS.redirectTarget}" value="${model.redirectTarget}">`}`;
}

function renderEmailOption(model: EnrollmentGatePageModel): SafeHtml {
  const { t } = model;
  const { maskedAddress: address, sent } = model.emailOption;
  const sentText = address === null ? t('enroll_gate.email_sent_generic') : t('enroll_gate.email_sent', { address });
  return html`<section class="card" aria-labelledby="email-heading">
<h2 id="email-heading">${t('enroll_gate.email_heading')}</h2>
${sent && html`<div class="notice notice-success" role="status"><p>${sentText}</p></div>`}
${
  address === null
    ? html`<p>${t('enroll_gate.email_no_address')}</p>`
    : html`${!sent && html`<p>${t('enroll_gate.email_body', { address })}</p>`}
<form method="post" action="${model.basePath}enroll/email">
${hiddenFields(model)}
<button type="submit" class="button ${sent ? 'button-secondary' : 'button-primary'}">${t(sent ? 'enroll_gate.email_resend' : 'enroll_gate.email_send')}</button>
</form>`
}
</section>`;
}

function renderCodeForm(model: EnrollmentGatePageModel, invalid: boolean): SafeHtml {
  const { t } = model;
  const { enabled, maskedAddress, sent } = model.emailOption;
  const email = enabled && (maskedAddress !== null || sent);
  const hint: MessageKey = email && model.codeOption ? 'enroll_gate.code_hint_both' : email ? 'enroll_gate.code_hint_email' : 'enroll_gate.code_hint_admin';
  const describedBy = invalid ? 'enroll-code-hint form-error' : 'enroll-code-hint';
  const focus = invalid || model.emailOption.sent;
  return html`<section class="card" aria-labelledby="code-heading">
<h2 id="code-heading">${t('enroll_gate.code_heading')}</h2>
<form class="form" method="post" action="${model.basePath}enroll/code">
${hiddenFields(model)}
<div class="field">
<label for="enroll-code">${t('enroll_gate.code_label')}</label>
<input id="enroll-code" name="${ENROLLMENT_FIELDS.code}" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="${ENROLLMENT_CODE_MAX_LENGTH}" required aria-describedby="${describedBy}"${invalid ? html` aria-invalid="true"` : ''}${focus ? html` autofocus` : ''}>
<p id="enroll-code-hint" class="hint">${t(hint)}</p>
</div>
<div><button type="submit" class="button button-primary">${t('enroll_gate.submit')}</button></div>
</form>
</section>`;
}
