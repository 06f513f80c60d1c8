/**
 * The WebAuthn ceremonies of the portal, without the page: ask the server for options, hand them
 * to the browser, send the answer back. Everything it needs is passed in (fetch, the library's
 * start functions, the portal path, the csrf token), so it runs in a unit test as it runs in a
 * page, and touches no DOM. Outcomes are values: `{ ok: true, redirect }` or `{ ok: false, code }`.
 */

/** Codes the server may answer with (body `{ ok: false, error }`); anything else reads as 'generic'. */
export const SERVER_ERROR_CODES = Object.freeze([
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
]);

/**
 * Codes the page has a message for. 'aborted' is not one of them: it means another ceremony took
 * over (the passkey button cancels a waiting autofill request), which is nothing to tell the user.
 */
export const MESSAGE_CODES = Object.freeze([...SERVER_ERROR_CODES, 'cancelled', 'unsupported', 'unsuitable', 'network', 'generic']);

/** The library's WebAuthnError codes that say something we can put in words. */
const LIBRARY_CODES = {
  ERROR_CEREMONY_ABORTED: 'aborted',
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: 'duplicate',
  ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT: 'user-verification-required',
  ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT: 'unsuitable',
  ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG: 'unsuitable',
};

/** DOMException names from navigator.credentials, when the library passed the error through as is. */
const DOM_ERROR_NAMES = {
  AbortError: 'aborted',
  // Dismissed, timed out, or (in passwordless sign-in) no discoverable credential: browsers do not tell these apart.
  NotAllowedError: 'cancelled',
  InvalidStateError: 'duplicate',
  NotSupportedError: 'unsuitable',
  ConstraintError: 'unsuitable',
};

/** What startRegistration / startAuthentication threw, as one of our codes. */
export function codeForBrowserError(error) {
  if (typeof error !== 'object' || error === null) return 'generic';
  const { code, name, message } = error;
  if (typeof code === 'string' && Object.hasOwn(LIBRARY_CODES, code)) return LIBRARY_CODES[code];
  if (typeof name === 'string' && Object.hasOwn(DOM_ERROR_NAMES, name)) return DOM_ERROR_NAMES[name];
  // The library throws plain Errors when the browser has no WebAuthn or no autofill support.
  if (typeof message === 'string' && /not supported|does not support/i.test(message)) return 'unsupported';
  return 'generic';
}

/** A failed answer from the server (status and parsed body, if any) as one of our codes. */
export function codeForServerAnswer(status, body) {
  const error = typeof body === 'object' && body !== null ? body.error : undefined;
  if (typeof error === 'string' && SERVER_ERROR_CODES.includes(error)) return error;
  if (status === 429) return 'throttled';
  return 'generic';
}

/** The message for a code, from the page's translated messages; the generic one for anything unknown. */
export function messageFor(code, messages) {
  const table = typeof messages === 'object' && messages !== null ? messages : {};
  const own = (key) => (Object.hasOwn(table, key) && typeof table[key] === 'string' ? table[key] : undefined);
  return (MESSAGE_CODES.includes(code) ? own(code) : undefined) ?? own('generic') ?? '';
}

/**
 * Where to go after success. The server checked the target already; this keeps a `javascript:`
 * or protocol-relative value from being followed anyway. A path on this origin, or an http(s) URL.
 */
export function toSafeRedirect(value) {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.startsWith('/')) {
    if (/^\/[/\\]/.test(value) || /[\u0000-\u0020\u007f\\]/.test(value)) return undefined;
    return value;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * @param deps.fetch                the page's fetch
 * @param deps.basePath             the portal's path, ending in "/"
 * @param deps.csrfToken            sent as X-CSRF-Token
 * @param deps.startRegistration    from @simplewebauthn/browser
 * @param deps.startAuthentication  from @simplewebauthn/browser
 */
export function createCeremonies(deps) {
  const { basePath, csrfToken } = deps;

  async function post(path, body) {
    let response;
    try {
      response = await deps.fetch(`${basePath}api/webauthn/${path}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
        body: JSON.stringify(body),
      });
    } catch {
      return { ok: false, code: 'network' };
    }
    let data;
    try {
      data = await response.json();
    } catch {
      data = undefined;
    }
    if (!response.ok || !isObject(data) || data.ok === false) return { ok: false, code: codeForServerAnswer(response.status, data) };
    return { ok: true, data };
  }

  async function options(path, body) {
    const answer = await post(path, body);
    if (!answer.ok) return answer;
    return isObject(answer.data.options) ? { ok: true, options: answer.data.options } : { ok: false, code: 'generic' };
  }

  async function finish(path, body, fallback) {
    const answer = await post(path, body);
    if (!answer.ok) return answer;
    if (answer.data.ok !== true) return { ok: false, code: 'generic' };
    return { ok: true, redirect: toSafeRedirect(answer.data.redirect) ?? fallback };
  }

  async function run(start) {
    try {
      return { ok: true, response: await start() };
    } catch (error) {
      return { ok: false, code: codeForBrowserError(error) };
    }
  }

  /** Adds a credential under `name`. */
  async function register(name) {
    const asked = await options('register/options', {});
    if (!asked.ok) return asked;
    const made = await run(() => deps.startRegistration({ optionsJSON: asked.options }));
    if (!made.ok) return made;
    return finish('register/verify', { response: made.response, name }, `${basePath}methods`);
  }

  /**
   * Signs in (mode 'passwordless') or completes the second step (mode 'second-factor'). With
   * `autofill`, the browser offers passkeys in the username field instead of opening a dialog,
   * and the request waits until the user picks one.
   */
  async function authenticate({ mode, rd, autofill = false }) {
    // A passkey sign-in is allowed or not for its target: the server decides from `rd`.
    const asked = await options('authenticate/options', mode === 'passwordless' && typeof rd === 'string' ? { mode, rd } : { mode });
    if (!asked.ok) return asked;
    const got = await run(() => deps.startAuthentication({ optionsJSON: asked.options, useBrowserAutofill: autofill }));
    if (!got.ok) return got;
    const body = typeof rd === 'string' ? { response: got.response, mode, rd } : { response: got.response, mode };
    return finish('authenticate/verify', body, basePath);
  }

  return { register, authenticate };
}
