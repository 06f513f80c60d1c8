import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * The portal under a path prefix of a site's own host (`http://app.localhost/auth/` in front of
 * the app at `http://app.localhost/`): which requests are the portal's is decided by the site
 * table, by the same rules as a site's — host (letter case aside), effective port, and the
 * prefix by whole segments, case-sensitive as paths are. Everything else is the app's, behind
 * its policy.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => void (c.server.portal_url = `http://${APP}/auth/`) });
});
afterAll(() => h?.close());
beforeEach(() => {
  h.upstream.seen.length = 0;
});

const SIGN_IN = `http://${APP}/auth/`;

/** What became of a request: the portal's sign-in page, the app's redirect to sign in, or an unknown site. */
async function fate(host: string, path: string): Promise<'portal' | 'app' | 'unknown'> {
  const res = await h.request({ path, host });
  const location = String(res.headers.location ?? '');
  if (res.status === 302 && location.startsWith(`${SIGN_IN}?rd=`)) return 'app';
  if (res.status === 404 && res.body.includes('not a site that Gatehouse protects')) return 'unknown';
  expect(h.upstream.seen).toEqual([]);
  return 'portal';
}

describe('portal or site, on one host', () => {
  it.each([
    [APP, '/auth/', 'portal'],
    [APP, '/auth/login', 'portal'],
    [APP, '/auth', 'portal'],
    ['APP.localhost', '/auth/', 'portal'],
    [`${APP}:80`, '/auth/', 'portal'],
    [APP, '/authx', 'app'],
    [APP, '/AUTH/', 'app'],
    [APP, '/', 'app'],
    [APP, '/x/auth/', 'app'],
    [`${APP}:8080`, '/auth/', 'unknown'],
  ] as const)('%s %s → %s', async (host, path, expected) => {
    expect(await fate(host, path)).toBe(expected);
  });

  it('the portal’s sign-in page is the one answering under the prefix', async () => {
    const res = await h.request({ path: '/auth/', host: APP });
    expect(res.status).toBe(200);
    expect(res.body).toContain('action="/auth/login"');
  });

  it('is decided by the site table (SiteTable.isPortal), nothing else', async () => {
    const { sites } = h.gateway.ctx;
    const original = sites.isPortal;
    const asked: unknown[][] = [];
    try {
      Object.assign(sites, { isPortal: (...args: Parameters<typeof original>) => (asked.push(args), original(...args)) });
      expect(await fate(APP, '/auth/')).toBe('portal');
      expect(asked).toContainEqual([APP, undefined, '/auth/']);
      Object.assign(sites, { isPortal: () => false });
      expect(await fate(APP, '/auth/')).toBe('app');
    } finally {
      Object.assign(sites, { isPortal: original });
    }
  });
});
