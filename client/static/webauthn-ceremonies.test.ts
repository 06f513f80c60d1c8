import { describe, expect, it } from 'vitest';
import {
  codeForBrowserError,
  codeForServerAnswer,
  createCeremonies,
  MESSAGE_CODES,
  messageFor,
  SERVER_ERROR_CODES,
  toSafeRedirect,
  type CeremonyDeps,
} from './webauthn-ceremonies.js';

/** An error as @simplewebauthn/browser throws it: a WebAuthnError with a code, named after its cause. */
const libraryError = (name: string, code: string) => Object.assign(new Error('library text with https://evil.example'), { name, code });
const domError = (name: string) => new DOMException('browser text', name);

describe('codeForBrowserError', () => {
  it.each([
    ['the user dismissed the dialog (passed through by the library)', libraryError('NotAllowedError', 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY'), 'cancelled'],
    ['a bare NotAllowedError', domError('NotAllowedError'), 'cancelled'],
    ['another ceremony took over', libraryError('AbortError', 'ERROR_CEREMONY_ABORTED'), 'aborted'],
    ['a bare AbortError', domError('AbortError'), 'aborted'],
    ['an authenticator registered already', libraryError('InvalidStateError', 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED'), 'duplicate'],
    ['a bare InvalidStateError', domError('InvalidStateError'), 'duplicate'],
    ['no user verification available', libraryError('ConstraintError', 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT'), 'user-verification-required'],
    ['no resident key support', libraryError('ConstraintError', 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT'), 'unsuitable'],
    ['no supported algorithm', libraryError('NotSupportedError', 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG'), 'unsuitable'],
    ['a bare NotSupportedError', domError('NotSupportedError'), 'unsuitable'],
    ['no WebAuthn in the browser', new Error('WebAuthn is not supported in this browser'), 'unsupported'],
    ['no autofill in the browser', new Error('Browser does not support WebAuthn autofill'), 'unsupported'],
    ['a wrong RP ID (a configuration fault)', libraryError('SecurityError', 'ERROR_INVALID_RP_ID'), 'generic'],
    ['an invalid domain', libraryError('SecurityError', 'ERROR_INVALID_DOMAIN'), 'generic'],
    ['an authenticator fault', libraryError('UnknownError', 'ERROR_AUTHENTICATOR_GENERAL_ERROR'), 'generic'],
    ['a TypeError', new TypeError('x is undefined'), 'generic'],
    ['a string', 'NotAllowedError', 'generic'],
    ['null', null, 'generic'],
    ['undefined', undefined, 'generic'],
    ['an object whose code is an inherited name', { code: 'constructor', name: 'toString' }, 'generic'],
    ['an object with __proto__ as name', { name: '__proto__' }, 'generic'],
    ['an object with a non-string name', { name: 42, code: {} }, 'generic'],
  ])('%s → %s', (_name, error, code) => {
    expect(codeForBrowserError(error)).toBe(code);
  });
});

describe('codeForServerAnswer', () => {
  it.each(SERVER_ERROR_CODES.map((code) => [code]))('passes the server code %s through', (code) => {
    expect(codeForServerAnswer(400, { ok: false, error: code })).toBe(code);
  });

  it.each([
    ['an unknown code', 400, { ok: false, error: 'database-locked' }, 'generic'],
    ['a client-side code the server must not send', 400, { ok: false, error: 'aborted' }, 'generic'],
    ['an inherited property name', 400, { ok: false, error: 'constructor' }, 'generic'],
    ['a library message', 400, { ok: false, error: 'Unexpected authentication response origin "https://evil.example"' }, 'generic'],
    ['a code that is not a string', 400, { ok: false, error: ['csrf'] }, 'generic'],
    ['no body', 500, undefined, 'generic'],
    ['null', 502, null, 'generic'],
    ['429 without a body', 429, undefined, 'throttled'],
    ['429 with an unknown code', 429, { error: 'x' }, 'throttled'],
    ['403 with csrf', 403, { ok: false, error: 'csrf' }, 'csrf'],
  ])('%s → %s', (_name, status, body, code) => {
    expect(codeForServerAnswer(status, body)).toBe(code);
  });
});

describe('messageFor', () => {
  const messages = Object.fromEntries(MESSAGE_CODES.map((code) => [code, `text for ${code}`]));

  it.each(MESSAGE_CODES.map((code) => [code]))("shows the page's text for %s", (code) => {
    expect(messageFor(code, messages)).toBe(`text for ${code}`);
  });

  it.each(['aborted', 'constructor', '__proto__', 'toString', 'nope', ''])('shows the generic text for %j', (code) => {
    expect(messageFor(code, messages)).toBe('text for generic');
  });

  it('survives missing or broken message tables', () => {
    expect(messageFor('csrf', { generic: 'g' })).toBe('g');
    expect(messageFor('csrf', { csrf: 42, generic: 'g' })).toBe('g');
    expect(messageFor('csrf', null)).toBe('');
    expect(messageFor('csrf', 'text')).toBe('');
  });
});

describe('toSafeRedirect', () => {
  it.each([
    ['/auth/', '/auth/'],
    ['/auth/methods?notice=webauthn_added', '/auth/methods?notice=webauthn_added'],
    ['https://wiki.example.com/a?b=1#c', 'https://wiki.example.com/a?b=1#c'],
    ['http://localhost:8080/', 'http://localhost:8080/'],
  ])('follows %s', (value, expected) => {
    expect(toSafeRedirect(value)).toBe(expected);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/',
    '/\\evil.example/',
    '/\t/evil.example/',
    '/ /evil.example',
    '/a\\b',
    '/a\u0000b',
    'evil.example',
    'auth/methods',
    '',
    undefined,
    null,
    42,
    { href: '/' },
  ])('does not follow %j', (value) => {
    expect(toSafeRedirect(value)).toBeUndefined();
  });
});

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch answering each call from a queue; a thrown value stands for a network failure. */
function fakeFetch(answers: Array<{ status?: number; body?: unknown; text?: string } | Error>) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected request');
    if (answer instanceof Error) throw answer;
    const text = answer.text ?? JSON.stringify(answer.body);
    return new Response(text, { status: answer.status ?? 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, calls };
}

const CREATION = { challenge: 'Y2hhbGxlbmdl', rp: { name: 'Gatehouse' }, user: { id: 'dQ', name: 'ada', displayName: 'Ada' }, pubKeyCredParams: [] };
const REQUEST = { challenge: 'Y2hhbGxlbmdl', allowCredentials: [] };
const ATTESTATION = { id: 'cred', rawId: 'cred', type: 'public-key', response: {} };
const ASSERTION = { id: 'cred', rawId: 'cred', type: 'public-key', response: { userHandle: 'dQ' } };

function setUp(answers: Parameters<typeof fakeFetch>[0], browser: Partial<Pick<CeremonyDeps, 'startRegistration' | 'startAuthentication'>> = {}) {
  const { fetch, calls } = fakeFetch(answers);
  const started: unknown[] = [];
  const ceremonies = createCeremonies({
    fetch,
    basePath: '/auth/',
    csrfToken: 'tok-123',
    startRegistration: browser.startRegistration ?? (async (options) => (started.push(options), ATTESTATION)),
    startAuthentication: browser.startAuthentication ?? (async (options) => (started.push(options), ASSERTION)),
  });
  const bodies = () => calls.map((c) => JSON.parse(String(c.init.body)));
  return { ceremonies, calls, started, bodies };
}

describe('createCeremonies', () => {
  it('registers: options, then the browser with { optionsJSON }, then verify with the response and the name', async () => {
    const { ceremonies, calls, started, bodies } = setUp([{ body: { options: CREATION } }, { body: { ok: true, redirect: '/auth/methods?notice=webauthn_added' } }]);
    expect(await ceremonies.register('Work laptop')).toEqual({ ok: true, redirect: '/auth/methods?notice=webauthn_added' });
    expect(calls.map((c) => c.url)).toEqual(['/auth/api/webauthn/register/options', '/auth/api/webauthn/register/verify']);
    expect(started).toEqual([{ optionsJSON: CREATION }]);
    expect(bodies()).toEqual([{}, { response: ATTESTATION, name: 'Work laptop' }]);
  });

  it('sends every request as same-origin JSON POST with the csrf header', async () => {
    const { ceremonies, calls } = setUp([{ body: { options: REQUEST } }, { body: { ok: true, redirect: '/' } }]);
    await ceremonies.authenticate({ mode: 'second-factor' });
    expect(calls).toHaveLength(2);
    for (const { init } of calls) {
      expect(init.method).toBe('POST');
      expect(init.credentials).toBe('same-origin');
      expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-CSRF-Token': 'tok-123' });
    }
  });

  it.each([
    ['second-factor', 'https://wiki.example.com/a', false],
    ['passwordless', 'https://wiki.example.com/a', true],
    ['passwordless', undefined, false],
  ] as const)('authenticates in %s mode with rd %s (autofill %s)', async (mode, rd, autofill) => {
    const { ceremonies, calls, started, bodies } = setUp([{ body: { options: REQUEST } }, { body: { ok: true, redirect: 'https://wiki.example.com/a' } }]);
    expect(await ceremonies.authenticate({ mode, rd, autofill })).toEqual({ ok: true, redirect: 'https://wiki.example.com/a' });
    expect(calls.map((c) => c.url)).toEqual(['/auth/api/webauthn/authenticate/options', '/auth/api/webauthn/authenticate/verify']);
    expect(started).toEqual([{ optionsJSON: REQUEST, useBrowserAutofill: autofill }]);
    // The server decides from the target whether a passkey alone may sign in, so it gets rd with the options request too.
    expect(bodies()[0]).toEqual(mode === 'passwordless' && rd !== undefined ? { mode, rd } : { mode });
    expect(bodies()[1]).toEqual(rd === undefined ? { response: ASSERTION, mode } : { response: ASSERTION, mode, rd });
  });

  it.each([
    ['a refusal with its code', { status: 403, body: { ok: false, error: 'csrf' } }, 'csrf'],
    ['throttling', { status: 429, body: { ok: false, error: 'throttled' } }, 'throttled'],
    ['an HTML error page', { status: 503, text: '<html>down</html>' }, 'generic'],
    ['a 200 without options', { status: 200, body: {} }, 'generic'],
    ['a 200 with options that are not an object', { status: 200, body: { options: 'x' } }, 'generic'],
    ['a 200 with a JSON array', { status: 200, body: [] }, 'generic'],
    ['a network failure', new TypeError('Failed to fetch'), 'network'],
  ])('stops before the browser when the options request fails: %s', async (_name, answer, code) => {
    const { ceremonies, calls, started } = setUp([answer]);
    expect(await ceremonies.authenticate({ mode: 'passwordless' })).toEqual({ ok: false, code });
    expect(started).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['dismissed', libraryError('NotAllowedError', 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY'), 'cancelled'],
    ['superseded', libraryError('AbortError', 'ERROR_CEREMONY_ABORTED'), 'aborted'],
    ['registered already', libraryError('InvalidStateError', 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED'), 'duplicate'],
  ])('sends nothing to verify when the browser ceremony ends %s', async (_name, error, code) => {
    const reject = async () => {
      throw error;
    };
    const { ceremonies, calls } = setUp([{ body: { options: CREATION } }], { startRegistration: reject });
    expect(await ceremonies.register('Key')).toEqual({ ok: false, code });
    expect(calls).toHaveLength(1);
  });

  type Answer = Parameters<typeof fakeFetch>[0][number];
  it.each<[string, Answer, string]>([
    ...SERVER_ERROR_CODES.map((code): [string, Answer, string] => [`refused as ${code}`, { status: 400, body: { ok: false, error: code } }, code]),
    ['a 200 that says ok: false', { status: 200, body: { ok: false, error: 'verification-failed' } }, 'verification-failed'],
    ['a 200 without ok: true', { status: 200, body: { redirect: '/auth/' } }, 'generic'],
    ['a 500', { status: 500, text: 'Internal Server Error' }, 'generic'],
    ['a network failure', new TypeError('Failed to fetch'), 'network'],
  ])('reports a failed verification: %s', async (_name, answer, code) => {
    const { ceremonies } = setUp([{ body: { options: REQUEST } }, answer]);
    expect(await ceremonies.authenticate({ mode: 'second-factor', rd: '/x' })).toEqual({ ok: false, code });
  });

  it.each([
    ['javascript:alert(1)', '/auth/'],
    ['//evil.example/', '/auth/'],
    [undefined, '/auth/'],
    [42, '/auth/'],
  ])('after signing in does not follow the redirect %j: it goes to the portal', async (redirect, expected) => {
    const { ceremonies } = setUp([{ body: { options: REQUEST } }, { body: { ok: true, redirect } }]);
    expect(await ceremonies.authenticate({ mode: 'passwordless' })).toEqual({ ok: true, redirect: expected });
  });

  it('after adding a credential without a usable redirect goes to the methods page', async () => {
    const { ceremonies } = setUp([{ body: { options: CREATION } }, { body: { ok: true, redirect: 'javascript:alert(1)' } }]);
    expect(await ceremonies.register('Key')).toEqual({ ok: true, redirect: '/auth/methods' });
  });
});
