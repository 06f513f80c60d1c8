import { html, type SafeHtml } from './html.js';

/** Room for 8 digits with the spaces or dashes people type; the server decides what a code is. */
export const OTP_CODE_MAX_LENGTH = 12;

/**
 * Deliberately loose: digits of any script (full-width ones from a Chinese IME too), spaces and
 * dashes pass, so that the browser never blocks a form the server would accept or explain better.
 * Valid under both the `u` and the `v` flag that browsers compile `pattern` with.
 */
export const OTP_CODE_PATTERN = '[\\p{Nd}\\s\\-]*';

export interface OtpCodeFieldModel {
  id: string;
  label: string;
  hint: string;
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
<input id="${model.id}" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="${OTP_CODE_MAX_LENGTH}" pattern="${OTP_CODE_PATTERN}" required aria-describedby="${describedBy}"${model.errorId ? html` aria-invalid="true"` : ''}${model.autofocus ? html` autofocus` : ''}>
<p id="${hintId}" class="hint">${model.hint}</p>
</div>`;
}
