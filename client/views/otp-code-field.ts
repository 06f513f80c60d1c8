import { CODE_DIGITS, codePatternSource, MAX_CODE_INPUT_LENGTH } from '../../server/factors/otp/code-grammar.js';
import type { OtpDigits } from '../../server/factors/otp/generate-otp.js';
import { html, type SafeHtml } from './html.js';

/** The most the field takes: the server's own limit, so a pasted code with padding still fits. */
export const OTP_CODE_MAX_LENGTH = MAX_CODE_INPUT_LENGTH;

/**
 * The field's `pattern` for codes of these lengths: the server's grammar itself
 * (server/factors/otp/code-grammar.ts), so the browser refuses exactly what the server would —
 * dots and dashes pass, Arabic-Indic or full-width digits do not.
 */
export function otpCodePattern(digits: readonly OtpDigits[] = CODE_DIGITS): string {
  return codePatternSource(digits.length > 0 ? digits : CODE_DIGITS);
}

export interface OtpCodeFieldModel {
  id: string;
  label: string;
  hint: string;
  /** The lengths the device(s) this code is for use; all of them when unknown. */
  digits?: readonly OtpDigits[];
  /** Set when the last attempt failed: marks the field invalid and ties it to the alert. */
  errorId?: string;
  autofocus?: boolean;
}

/**
 * The one-time-code input used wherever an OTP is typed: numeric keyboard on phones, and
 * `one-time-code` so that the browser may offer a code it received. Never pre-filled: a code
 * that failed is of no use again.
 */
export function renderOtpCodeField(model: OtpCodeFieldModel): SafeHtml {
  const hintId = `${model.id}-hint`;
  const describedBy = model.errorId ? `${hintId} ${model.errorId}` : hintId;
  return html`<div class="field">
<label for="${model.id}">${model.label}</label>
<input id="${model.id}" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="${OTP_CODE_MAX_LENGTH}" pattern="${otpCodePattern(model.digits)}" required aria-describedby="${describedBy}"${model.errorId ? html` aria-invalid="true"` : ''}${model.autofocus ? html` autofocus` : ''}>
<p id="${hintId}" class="hint">${model.hint}</p>
</div>`;
}
