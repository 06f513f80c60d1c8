import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, PORTAL, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

let h: GatewayHarness;
let alice: string;
let bob: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  alice = await h.signIn('alice');
  bob = await h.signIn('bob');
});
afterAll(() => h?.close());

/** A Traefik/Caddy forward-auth call from the registered proxy. */
function forwardAuth(headers: Record<string, string>, cookie?: string, localAddress = TRUSTED_PROXY) {
  return h.request({ path: '/api/authz/forward-auth', host: 'gatehouse.internal:9091', headers: { ...headers, ...(cookie ? { cookie } : {}) }, localAddress });
}
const traefik = (host: string, uri: string, method = 'GET') => ({
  'x-forwarded-method': method,
  'x-forwarded-proto': 'http',
  'x-forwarded-host': host,
  'x-forwarded-uri': uri,
  'x-forwarded-for': '10.9.8.7',
});

/** An nginx auth_request call. */
function authRequest(headers: Record<string, string>, cookie?: string, localAddress = TRUSTED_PROXY) {
  return h.request({ path: '/api/authz/auth-request', host: 'gatehouse.internal:9091', headers: { ...headers, ...(cookie ? { cookie } : {}) }, localAddress });
}

describe('forward-auth (Traefik, Caddy)', () => {
  it('refuses a caller that is not a registered proxy, whatever it sends', async () => {
    const res = await forwardAuth(traefik(WIKI, '/'), alice, '127.0.0.1');
    expect(res.status).toBe(403);
    expect(res.headers['remote-user']).toBeUndefined();
  });

  it('answers a call that keeps the protected site’s Host (Caddy’s default)', async () => {
    const res = await h.request({ path: '/api/authz/forward-auth', host: WIKI, headers: { ...traefik(WIKI, '/page'), cookie: alice }, localAddress: TRUSTED_PROXY });
    expect(res.status).toBe(200);
    expect(res.headers['remote-user']).toBe('alice');
  });

  it('sends an anonymous user to the portal with the original URL', async () => {
    const res = await forwardAuth(traefik(WIKI, '/page?a=1'));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location!);
    expect(location.host).toBe(PORTAL);
    expect(location.searchParams.get('rd')).toBe(`http://${WIKI}/page?a=1`);
  });

  it('uses 303 for a non-GET request so the browser comes back with GET', async () => {
    const res = await forwardAuth(traefik(WIKI, '/form', 'POST'));
    expect(res.status).toBe(303);
  });

  it('allows a signed-in user and returns the identity headers', async () => {
    const res = await forwardAuth(traefik(WIKI, '/page'), alice);
    expect(res.status).toBe(200);
    expect(res.headers['remote-user']).toBe('alice');
    expect(res.headers['remote-groups']).toBe('admins,dev');
    expect(res.headers['remote-email']).toBe('alice@corp.example');
    expect(res.headers['remote-name']).toBe('Alice Liu');
  });

  it('denies by rule with 403', async () => {
    const res = await forwardAuth(traefik(APP, '/admin/x'), bob);
    expect(res.status).toBe(403);
  });

  it('decides on the normalized path', async () => {
    expect((await forwardAuth(traefik(APP, '/public/../admin/x'), bob)).status).toBe(403);
    expect((await forwardAuth(traefik(APP, '/public/%2e%2e/admin/x'), bob)).status).toBe(403);
  });

  it.each([
    ['no headers at all', {}],
    ['no host', { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-uri': '/' }],
    ['a relative URI', traefik(WIKI, 'page')],
    ['an absolute URI', traefik(WIKI, 'http://evil.example/')],
    ['a bad scheme', { ...traefik(WIKI, '/'), 'x-forwarded-proto': 'gopher' }],
    ['a malformed host', traefik('wiki localhost', '/')],
    ['a host with userinfo', traefik(`x@${WIKI}`, '/')],
    ['an encoded slash', traefik(APP, '/public%2f..%2fadmin')],
    ['a NUL in the path', traefik(APP, '/public/%00')],
    ['two hosts', traefik(`${WIKI}, ${APP}`, '/')],
  ])('answers %s with 4xx, never 2xx', async (_name, headers) => {
    const res = await forwardAuth(headers, alice);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['an unknown host', 'intranet.localhost'],
    ['a trailing-dot host', `${WIKI}.`],
    ['a suffix host', `evil${WIKI}`],
  ])('refuses %s with 403, never another site', async (_name, host) => {
    const res = await forwardAuth(traefik(host, '/'), alice);
    expect(res.status).toBe(403);
  });

  it('refuses a scheme that does not match the site', async () => {
    const res = await forwardAuth({ ...traefik(WIKI, '/'), 'x-forwarded-proto': 'https' }, alice);
    expect(res.status).toBe(403);
  });

  it.each(['gatehouse_session=forged', `gatehouse_session=${'B'.repeat(43)}`, `${alice}; ${bob}`, 'gatehouse_session=' + 'x'.repeat(8000)])(
    'a forged, malformed or duplicated cookie is never a 2xx (%#)',
    async (cookie) => {
      const res = await forwardAuth(traefik(WIKI, '/page'), cookie);
      expect(res.status).toBe(302);
    },
  );
});

describe('auth-request (nginx)', () => {
  it('refuses an unregistered caller', async () => {
    const res = await authRequest({ 'x-original-url': `http://${WIKI}/` }, alice, '127.0.0.1');
    expect(res.status).toBe(403);
  });

  it('answers 401 with the portal location for an anonymous user', async () => {
    const res = await authRequest({ 'x-original-url': `http://${WIKI}/page?a=1`, 'x-original-method': 'GET' });
    expect(res.status).toBe(401);
    expect(new URL(res.headers.location!).searchParams.get('rd')).toBe(`http://${WIKI}/page?a=1`);
  });

  it('answers 200 with identity headers for a signed-in user', async () => {
    const res = await authRequest({ 'x-original-url': `http://${WIKI}/page` }, bob);
    expect(res.status).toBe(200);
    expect(res.headers['remote-user']).toBe('bob');
    // A UTF-8 display name travels as its bytes; decoding them gives the name back.
    expect(Buffer.from(res.headers['remote-name'] as string, 'latin1').toString('utf8')).toBe('陳柏宇 Bob Chen');
  });

  it('answers 403 on a deny rule', async () => {
    const res = await authRequest({ 'x-original-url': `http://${APP}/admin/`, 'x-original-method': 'GET' }, bob);
    expect(res.status).toBe(403);
  });

  it.each([
    ['missing', {}],
    ['relative', { 'x-original-url': '/page' }],
    ['javascript:', { 'x-original-url': 'javascript:alert(1)' }],
    ['with userinfo', { 'x-original-url': `http://user:pw@${WIKI}/` }],
    ['with an encoded slash', { 'x-original-url': `http://${APP}/a%2fb` }],
    ['garbage', { 'x-original-url': '%%%' }],
  ])('answers a %s X-Original-URL with 4xx', async (_name, headers) => {
    const res = await authRequest(headers as Record<string, string>, alice);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
