import type { MessageKey, Translate } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

/**
 * What a page hands to static/webauthn.js. The script has no catalogue and no inline data (CSP
 * `script-src 'self'`), so it reads everything from data-* attributes on one `[data-webauthn]`
 * element: the ceremony, the portal path, the csrf token, `rd`, and the translated messages.
 */

/** Which ceremony the page runs: sign-in without a password, the second step, or adding a credential. */
export type WebAuthnCeremony = 'passwordless' | 'second-factor' | 'register';

/** Every code the script may show: the server's, and those it finds in the browser itself. */
export const WEBAUTHN_ERROR_CODES = [
  'cancelled',
  'challenge-expired',
  'verification-failed',
  'unknown-credential',
  'user-verification-required',
  'aaguid-not-allowed',
  'synced-not-allowed',
  'duplicate',
  'counter-regression',
  'throttled',
  'csrf',
  'passwordless-not-allowed',
  'unsupported',
  'unsuitable',
  'network',
  'generic',
] as const;
export type WebAuthnErrorCode = (typeof WEBAUTHN_ERROR_CODES)[number];

const MESSAGES: Record<WebAuthnErrorCode, MessageKey> = {
  cancelled: 'webauthn.error_cancelled',
  'challenge-expired': 'webauthn.error_challenge_expired',
  'verification-failed': 'webauthn.error_verification_failed',
  'unknown-credential': 'webauthn.error_unknown_credential',
  'user-verification-required': 'webauthn.error_user_verification_required',
  'aaguid-not-allowed': 'webauthn.error_aaguid_not_allowed',
  'synced-not-allowed': 'webauthn.error_synced_not_allowed',
  duplicate: 'webauthn.error_duplicate',
  'counter-regression': 'webauthn.error_counter_regression',
  throttled: 'webauthn.error_throttled',
  csrf: 'webauthn.error_csrf',
  'passwordless-not-allowed': 'webauthn.error_passwordless_not_allowed',
  unsupported: 'webauthn.error_unsupported',
  unsuitable: 'webauthn.error_unsuitable',
  network: 'webauthn.error_network',
  generic: 'webauthn.error_generic',
};

/** The translated message for each code, as the script receives it. */
export function webauthnMessages(t: Translate): Record<WebAuthnErrorCode, string> {
  return Object.fromEntries(WEBAUTHN_ERROR_CODES.map((code) => [code, t(MESSAGES[code])])) as Record<WebAuthnErrorCode, string>;
}

export interface WebAuthnDataModel extends PageContext {
  csrfToken: string;
  redirectTarget?: string;
}

/**
 * The attributes of the page's `[data-webauthn]` element, starting with a space. Every value
 * goes through `html`, so a hostile `rd` or message stays text (the JSON is entity-escaped and
 * read back by the browser as written).
 */
export function renderWebAuthnData(model: WebAuthnDataModel, ceremony: WebAuthnCeremony): SafeHtml {
  return html` data-webauthn="${ceremony}" data-base-path="${model.basePath}" data-csrf="${model.csrfToken}"${model.redirectTarget !== undefined && html` data-rd="${model.redirectTarget}"`} data-messages="${JSON.stringify(webauthnMessages(model.t))}"`;
}

/**
 * Where the script puts its alert (`#webauthn-alert`); empty, and so invisible and silent, until
 * something fails. The other hooks are ids too: `#webauthn-start` (the button), `#webauthn-register`
 * (the form that names a new credential) and `#webauthn-fallback` (text for browsers without it).
 */
export function renderWebAuthnAlertSlot(): SafeHtml {
  return html`<div id="webauthn-alert" class="alert-slot"></div>`;
}
