import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiErrorCode } from '../core/api-errors.js';
import { cookieFrom, csrfFieldOf } from '../testing/http-client.js';
import { APP, PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * The WebAuthn JSON routes refuse what does not come from the portal's own page, and answer
 * garbage with 4xx — never 500, never a session. (The ceremonies' cryptographic checks are tested
 * with a software authenticator in server/factors/webauthn, and end to end in Chromium.)
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => Object.assign(c, { second_factors: { webauthn: { passwordless: true } } }) });
});
afterAll(() => h?.close());

const API = '/api/webauthn';
function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  return h.request({
    method: 'POST',
    path: `${API}${path}`,
    host: PORTAL,
    headers: { 'content-type': 'application/json', origin: `http://${PORTAL}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('WebAuthn routes', () => {
  it('registration needs a session, the portal origin and the session’s CSRF token', async () => {
    expect((await call('/register/options', {})).status).toBe(401);
    const cookie = await h.signIn('alice');
    const csrf = csrfFieldOf((await h.request({ path: '/', host: PORTAL, headers: { cookie } })).body)!;
    expect((await call('/register/options', {}, { cookie })).status).toBe(403);
    expect((await call('/register/options', {}, { cookie, 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await call('/register/options', {}, { cookie, 'x-csrf-token': csrf, origin: `http://${APP}` })).status).toBe(403);
    // A password alone is not enough to add a factor (no enrollment proof yet).
    const res = await call('/register/options', {}, { cookie, 'x-csrf-token': csrf });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: 'fresh_factor_required' });
  });

  it('passwordless challenges need the browser’s CSRF cookie echoed, from the portal origin', async () => {
    const { csrfCookie } = await h.signInForm();
    expect((await call('/authenticate/options', { mode: 'passwordless' })).status).toBe(403);
    expect((await call('/authenticate/options', { mode: 'passwordless' }, { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': 'x'.repeat(43) })).status).toBe(403);
    const ok = await call('/authenticate/options', { mode: 'passwordless' }, { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie });
    expect(ok.status).toBe(200);
    const { options } = JSON.parse(ok.body);
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe('required');
    expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it.each([
    ['no response', {}],
    ['a string response', { response: 'x' }],
    ['a registration response at sign-in', { response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } } }],
    ['bad base64url', { response: { id: '***', rawId: '***', type: 'public-key', response: { clientDataJSON: '***', authenticatorData: '***', signature: '***' } } }],
    [
      'an unknown credential',
      {
        response: { id: 'AAAAAAAA', rawId: 'AAAAAAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA', userHandle: 'AAAA' } },
      },
    ],
  ])('a passwordless verify with %s → 4xx, no session', async (_name, body) => {
    const { csrfCookie } = await h.signInForm();
    const headers = { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie };
    await call('/authenticate/options', { mode: 'passwordless' }, headers);
    const res = await call('/authenticate/verify', { mode: 'passwordless', ...body }, headers);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(isApiErrorCode(JSON.parse(res.body).error)).toBe(true);
    expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
    expect(res.body).not.toMatch(/expected|challenge/i); // no library detail reaches the browser
  });

  it.each([
    ['malformed JSON', '{"mode":'],
    ['a 200 KB body', JSON.stringify({ mode: 'passwordless', response: 'x'.repeat(200_000) })],
  ])('answers %s with 4xx', async (_name, body) => {
    const { csrfCookie } = await h.signInForm();
    const res = await call('/authenticate/verify', body, { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('WebAuthn turned off (second_factors.webauthn.enabled: false)', () => {
  let off: GatewayHarness;
  beforeAll(async () => {
    off = await startGatewayHarness({ configure: (c) => Object.assign(c, { second_factors: { webauthn: { enabled: false } } }) });
  });
  afterAll(() => off?.close());

  const routes = ['/register/options', '/register/verify', '/authenticate/options', '/authenticate/verify'];
  const call = (path: string, body: unknown, headers: Record<string, string>) =>
    off.request({
      method: 'POST',
      path: `${API}${path}`,
      host: PORTAL,
      headers: { 'content-type': 'application/json', origin: `http://${PORTAL}`, ...headers },
      body: JSON.stringify(body),
    });

  it.each(routes)('%s is not there for a signed-in page, whatever the body', async (route) => {
    const cookie = await off.signIn('alice');
    const csrf = csrfFieldOf((await off.request({ path: '/', host: PORTAL, headers: { cookie } })).body)!;
    for (const body of [{}, { mode: 'second-factor' }, { mode: 'passwordless' }, { response: { id: 'AAAA' } }]) {
      const res = await call(route, body, { cookie, 'x-csrf-token': csrf });
      expect(res.status).toBe(404);
      expect(res.body).not.toMatch(/challenge|publicKey|"ok":true/);
    }
  });

  it.each(routes)('%s is not there for a signed-out browser either (no passkey sign-in)', async (route) => {
    const { csrfCookie } = await off.signInForm();
    const res = await call(route, { mode: 'passwordless' }, { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie });
    expect(res.status).toBe(404);
    expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
  });
});
