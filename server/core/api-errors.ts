/**
 * The one catalogue of errors the JSON APIs answer with — the admin API, the WebAuthn routes of
 * the portal's script, the companion's push API and the sign-in page's push poll. Every error is
 * `{ "error": "<code>" }` with the code's status; the code is the stable part, for scripts and
 * for the pages that translate it. docs/api-errors.md is written from this table (a test
 * compares them), so a code cannot be answered without being documented.
 *
 * Most codes are snake_case. The WebAuthn verifier's reasons keep their hyphens: the portal's
 * script (client/static/webauthn-ceremonies.js) knows them by those names and has a message for
 * each. (The HTML pages have their own catalogue: core/errors.ts.)
 */

type Api = 'admin' | 'webauthn' | 'push' | 'companion';

interface ApiError {
  status: number;
  /** What it means, for the documentation; never sent with more detail than the code. */
  message: string;
  /** The APIs that answer with it. */
  apis: readonly Api[];
}

const ALL: readonly Api[] = ['admin', 'webauthn', 'push', 'companion'];
const PORTAL: readonly Api[] = ['admin', 'webauthn', 'push'];

const webauthn = (message: string, status = 400): ApiError => ({ status, message, apis: ['webauthn'] });

export const API_ERRORS = {
  // Any JSON API.
  malformed: { status: 400, message: 'The request body or a parameter is not what the route accepts.', apis: ALL },
  too_large: { status: 413, message: 'The body is over the route’s size limit.', apis: ALL },
  json_required: {
    status: 415,
    message: 'A body the route cannot read as JSON: for the admin API any type but `application/json`, elsewhere an unsupported charset or encoding.',
    apis: ALL,
  },
  not_found: { status: 404, message: 'No such route (or, for the push poll, no such approval for this session).', apis: ALL },
  store_unavailable: { status: 503, message: 'Redis or the database did not answer; try again.', apis: ALL },
  directory_unavailable: { status: 503, message: 'The LDAP directory did not answer; try again.', apis: ['admin', 'webauthn'] },
  internal: { status: 500, message: 'An unexpected error; the detail is in the gateway’s log under the request id.', apis: ALL },

  // Portal sessions (admin API, WebAuthn, push poll).
  signed_out: { status: 401, message: 'No signed-in portal session (or it ended).', apis: PORTAL },
  csrf: { status: 403, message: 'Not from the portal’s origin with the session’s (or, before sign-in, the browser’s) CSRF token in X-CSRF-Token.', apis: ['admin', 'webauthn'] },
  fresh_factor_required: { status: 403, message: 'The session’s second factor is too old for this: confirm it on the portal first.', apis: ['admin', 'webauthn'] },
  throttled: {
    status: 429,
    message: 'Too many failed attempts for the account or from the address (or too many sign-in challenges from the address); try again later.',
    apis: ['webauthn'],
  },

  // Admin API.
  forbidden: { status: 403, message: 'The user is not in `admin.group`.', apis: ['admin'] },
  unknown_user: { status: 404, message: 'No such user in the directory.', apis: ['admin'] },
  unknown_session: { status: 404, message: 'No such session of that user.', apis: ['admin'] },
  unknown_token: { status: 404, message: 'No hardware token with that serial.', apis: ['admin'] },
  assigned_to_other: { status: 409, message: 'The hardware token belongs to someone else: unassign it first.', apis: ['admin'] },
  resync_refused: {
    status: 422,
    message: 'The two codes are not consecutive unused codes of the token within its search window (or it was used meanwhile); nothing changed.',
    apis: ['admin'],
  },
  user_disabled: { status: 409, message: 'The user is disabled in the directory.', apis: ['admin'] },
  links_disabled: { status: 409, message: 'Enrollment links are off (`enrollment.admin_link.enabled`).', apis: ['admin'] },

  // Companion (push API v1).
  bad_signature: {
    status: 401,
    message: 'A device call or answer that is not signed by an enrolled phone’s key, is stale, or was seen before (each signed answer is used once).',
    apis: ['companion'],
  },
  enrollment_expired: { status: 410, message: 'An unknown, used or expired enrollment link (one answer for all three).', apis: ['companion'] },
  expired: { status: 410, message: 'The approval is unknown, answered or expired.', apis: ['companion'] },
  wrong_number: { status: 409, message: 'Approved with the wrong number (counted; three deny the approval).', apis: ['companion'] },
  locked: { status: 423, message: 'The account is locked: no approval is accepted.', apis: ['companion'] },
  app_lock_required: {
    status: 403,
    message:
      'The app lock is required (`push.require_user_verification`): enrollment without its credential, or an approval from a phone enrolled before it was required (remove the phone and add it again).',
    apis: ['companion'],
  },
  app_lock_refused: {
    status: 401,
    message: 'The app lock’s WebAuthn answer was missing or refused (wrong credential, no user verification, wrong challenge, origin or counter).',
    apis: ['companion'],
  },

  // WebAuthn: the ceremony.
  'passwordless-not-allowed': webauthn('A passkey alone may not sign in for this target, or for this user.', 403),
  'no-device': webauthn('The user has no passkey or security key to sign in with.'),
  'invalid-name': webauthn('The name for the new credential is empty, too long or has control characters.'),
  'too-large': webauthn('A field of the credential response is over its size limit.'),
  'wrong-type': webauthn('The response is for another ceremony (a registration answer at sign-in, or the reverse).'),
  'challenge-expired': webauthn('No challenge is outstanding for this session or browser: expired, used, or issued for another.'),
  'challenge-mismatch': webauthn('The response answers another challenge.'),
  'wrong-origin': webauthn('The response was made on another origin.'),
  'wrong-rp-id': webauthn('The response is for another relying party.'),
  'user-presence-required': webauthn('The authenticator did not report user presence.'),
  'user-verification-required': webauthn('User verification (PIN or biometric) was required and not performed.'),
  'backup-flags': webauthn('The backup flags changed from the registered credential’s.'),
  'synced-not-allowed': webauthn('Synced (backup-eligible) passkeys are not allowed here.'),
  'aaguid-not-allowed': webauthn('The authenticator model is not on the allow-list.'),
  'unsupported-algorithm': webauthn('The credential uses a signature algorithm the gateway does not offer.'),
  duplicate: webauthn('That credential is registered already.'),
  'unknown-credential': webauthn('No such credential (or its user is unknown).'),
  'wrong-user': webauthn('The credential belongs to another user.'),
  'user-handle-mismatch': webauthn('The user handle does not match the credential’s.'),
  'verification-failed': webauthn('The signature or attestation did not verify.'),
  'counter-regression': webauthn('The signature counter did not increase: the authenticator may be cloned (audited).'),
  'concurrent-use': webauthn('The credential was used by another request at the same moment.'),
} as const satisfies Record<string, ApiError>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && Object.hasOwn(API_ERRORS, value);
}

/** The JSON body of an error: the one shape every JSON API answers with. */
export function apiErrorBody(code: ApiErrorCode): { error: ApiErrorCode } {
  return { error: code };
}
