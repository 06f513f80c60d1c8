import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, PORTAL, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

let h: GatewayHarness;
beforeAll(async () => {
  // A long cache so "cached" below is certain; a short Redis deadline, which is what is tested.
  h = await startGatewayHarness({
    configure: (c) => {
      c.session.cache_ttl = '60s';
      c.redis.timeout = '500ms';
    },
  });
});
afterAll(() => h?.close());

const forwardAuth = (cookie?: string) =>
  h.request({
    path: '/api/authz/forward-auth',
    host: 'gatehouse.internal',
    localAddress: TRUSTED_PROXY,
    headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': WIKI, 'x-forwarded-uri': '/', ...(cookie ? { cookie } : {}) },
  });

describe('Redis stopped, frozen and back', () => {
  it('fails closed while Redis is down, keeps cached decisions no wider, and recovers by itself', async () => {
    const cached = await h.signIn('alice');
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: cached } })).status).toBe(200); // now cached
    const uncached = await h.signIn('bob');

    await h.redis.stop();

    // The process answers.
    expect((await h.request({ path: '/healthz', host: PORTAL })).status).toBe(200);
    expect((await h.request({ path: '/readyz', host: PORTAL })).status).toBe(503);

    // A session this instance has not seen: cannot be checked → 503, never 2xx.
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: uncached } })).status).toBe(503);
    expect((await forwardAuth(uncached)).status).toBe(503);

    // A cached session keeps what it had: allowed where it was, still denied where it was.
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: cached } })).status).toBe(200);
    expect((await h.request({ path: '/secure/x', host: APP, headers: { cookie: cached } })).status).toBe(302);

    // Sign-in cannot create a session: a clear 503 page.
    const signIn = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse' });
    expect(signIn.status).toBe(503);
    expect(signIn.headers['content-type']).toMatch(/text\/html/);

    // Anonymous requests are unaffected by the outage: still sent to sign in.
    expect((await h.request({ path: '/x', host: APP })).status).toBe(302);

    await h.redis.restart();
    await waitFor(async () => (await h.request({ path: '/readyz', host: PORTAL })).status === 200);
    // Sessions were in memory only (no persistence in the test Redis): a new sign-in works.
    const again = await h.signIn('bob');
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: again } })).status).toBe(200);
  });

  it('a frozen (hung) Redis is bounded by the timeout, never a hang and never a 2xx', async () => {
    h.redis.freeze();
    try {
      // Not cached, so it must reach Redis, which never answers while frozen: an answer at all
      // is the deadline at work (without it the request would wait for the thaw below).
      const fresh = `gatehouse_session=${'C'.repeat(43)}`;
      expect((await forwardAuth(fresh)).status).toBe(503);
    } finally {
      h.redis.thaw();
    }
    await waitFor(async () => (await h.request({ path: '/readyz', host: PORTAL })).status === 200);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
