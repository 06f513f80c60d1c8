import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * Rules and letter case. Many upstreams (IIS, ASP.NET, Express, Windows and macOS file systems)
 * serve /ADMIN as /admin: a rule about /admin must cover it, on the proxy path and on
 * forward-auth alike, unless the site says its upstream tells them apart.
 */

const LEGACY = 'legacy.localhost'; // proxied, case_insensitive_paths: false
const OLD = 'old.localhost'; // forward-auth, case_insensitive_paths: false

let h: GatewayHarness;
let bob: string;
beforeAll(async () => {
  h = await startGatewayHarness({
    configure: (c) => {
      c.sites.push(
        { name: 'legacy', url: `http://${LEGACY}/`, upstream: c.sites[0]!.upstream, case_insensitive_paths: false } as never,
        { name: 'old', url: `http://${OLD}/`, case_insensitive_paths: false } as never,
      );
      c.access_control.rules.unshift(
        { domain: [WIKI, LEGACY, OLD], resources: ['/admin(/.*)?'], policy: 'deny' } as never,
        { domain: [LEGACY, OLD], policy: 'one_factor' } as never,
      );
    },
  });
  bob = await h.signIn('bob');
});
afterAll(() => h?.close());
beforeEach(() => {
  h.upstream.seen.length = 0;
});

/** Spellings of /admin… that a case-insensitive upstream serves as /admin… */
const SPELLINGS = [
  '/ADMIN',
  '/Admin',
  '/aDmIn',
  '/ADMIN/',
  '/Admin/users',
  '/ADMIN/Users?x=1',
  '/%41DMIN/x',
  '/adm%C4%B1n',
  '/ADM%C4%B1N/x',
  '/public/../ADMIN/x',
  '/ADMIN;jsessionid=1/x',
];

describe('on the proxy path', () => {
  it.each(SPELLINGS)('a rule about /admin covers %s (403, never proxied)', async (path) => {
    const res = await h.request({ path, host: APP, headers: { cookie: bob } });
    expect(res.status).toBe(403);
    expect(h.upstream.seen).toEqual([]);
  });

  it('the same user is proxied elsewhere on the site (the 403s above are the rule)', async () => {
    const res = await h.request({ path: '/ADMINISTRATOR', host: APP, headers: { cookie: bob } });
    expect(res.status).toBe(200);
  });

  it('a site whose upstream tells case apart keeps it: /ADMIN is another path there', async () => {
    expect((await h.request({ path: '/admin/x', host: LEGACY, headers: { cookie: bob } })).status).toBe(403);
    const res = await h.request({ path: '/ADMIN/x', host: LEGACY, headers: { cookie: bob } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { url: string }).url).toBe('/ADMIN/x');
  });
});

describe('on forward-auth', () => {
  const traefik = (host: string, uri: string) => ({ 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': uri });
  const forwardAuth = (headers: Record<string, string>) =>
    h.request({ path: '/api/authz/forward-auth', host: 'gatehouse.internal', headers: { ...headers, cookie: bob }, localAddress: TRUSTED_PROXY });
  const authRequest = (url: string) =>
    h.request({ path: '/api/authz/auth-request', host: 'gatehouse.internal', headers: { 'x-original-url': url, cookie: bob }, localAddress: TRUSTED_PROXY });

  it.each(SPELLINGS)('forward_auth: a rule about /admin covers %s (403)', async (path) => {
    expect((await forwardAuth(traefik(WIKI, path))).status).toBe(403);
  });

  it.each(SPELLINGS)('auth_request: a rule about /admin covers %s (403)', async (path) => {
    expect((await authRequest(`http://${WIKI}${path}`)).status).toBe(403);
  });

  it('the same user is allowed elsewhere on the site', async () => {
    expect((await forwardAuth(traefik(WIKI, '/Page'))).status).toBe(200);
    expect((await authRequest(`http://${WIKI}/Page`)).status).toBe(200);
  });

  it('a forward-auth site whose upstream tells case apart keeps it', async () => {
    expect((await forwardAuth(traefik(OLD, '/admin'))).status).toBe(403);
    expect((await forwardAuth(traefik(OLD, '/ADMIN'))).status).toBe(200);
    expect((await authRequest(`http://${OLD}/ADMIN`)).status).toBe(200);
  });
});
