import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, csrfFieldOf, setCookieLine } from '../testing/http-client.js';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { APP, PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { measurePairedGaps, settlePairedGaps } from '../testing/paired-timing.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

/** The page without its per-request CSRF token, to compare failure pages byte for byte. */
const withoutToken = (html: string) => html.replace(/value="[A-Za-z0-9_-]{43}"/g, 'value="…"');

/**
 * A refusal costs no more than three ordinary failed sign-ins: each is timed right beside one
 * (an unknown user, so no account's counters fill up), as load stretches both alike.
 */
let ordinary = 0;
async function expectNoSlowerThanASignIn(refusal: () => Promise<void>) {
  const failedSignIn = async () => expect((await h.postSignIn({ username: `ordinary-${ordinary++}`, password: 'wrong-password' })).status).toBe(401);
  const batches = await settlePairedGaps(() => measurePairedGaps(failedSignIn, { refusal }, { rounds: 5 }), 2);
  expect(batches.at(-1)!.gaps.refusal!, JSON.stringify(batches)).toBeLessThan(2);
}

describe('sign-in with a password', () => {
  it('sends an anonymous visitor to the portal with the page they asked for', async () => {
    const res = await h.request({ path: '/reports/q3?year=2026', host: APP });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location!);
    expect(location.origin).toBe(`http://${PORTAL}`);
    expect(location.searchParams.get('rd')).toBe(`http://${APP}/reports/q3?year=2026`);
  });

  it('signs in, sets a hardened cookie and returns to the page asked for', async () => {
    const res = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse', rd: `http://${APP}/reports/q3` });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`http://${APP}/reports/q3`);
    const line = setCookieLine(res, 'gatehouse_session')!;
    expect(line).toMatch(/; HttpOnly/i);
    expect(line).toMatch(/; SameSite=Lax/i);
    expect(line).toMatch(/; Domain=localhost/i);
    expect(line).toMatch(/; Path=\//i);
    expect(line).not.toMatch(/Max-Age|Expires/i); // not "remember me": a browser-session cookie
    const token = cookieFrom(res, 'gatehouse_session')!;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('gives the upstream the identity and never the gateway cookie', async () => {
    const cookie = await h.signIn('alice');
    const res = await h.request({ path: '/hello', host: APP, headers: { cookie: `${cookie}; theme=dark` } });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen.headers['remote-user']).toBe('alice');
    expect(seen.headers['remote-groups']).toBe('admins,dev');
    expect(seen.headers['remote-email']).toBe('alice@corp.example');
    expect(seen.headers.cookie).toBe('theme=dark');
  });

  it('a remember-me sign-in gets a persistent cookie', async () => {
    const res = await h.postSignIn({ username: 'bob', password: 'bob-battery-staple', remember_me: '1' });
    expect(res.status).toBe(303);
    expect(setCookieLine(res, 'gatehouse_session')).toMatch(/Max-Age=604800/);
  });

  it('answers unknown user, wrong password and disabled user identically', async () => {
    const cases = [
      { username: 'mallory', password: 'whatever-password' },
      { username: 'alice', password: 'wrong-password' },
      { username: 'carol', password: 'carol-disabled-pass' },
    ];
    const real = [];
    for (const c of cases) real.push(await h.postSignIn(c));
    const statuses = new Set(real.map((r) => r.status));
    expect([...statuses]).toEqual([401]);
    // The form echoes the username back; apart from it the three pages are the same bytes.
    const bodies = real.map((r, i) => withoutToken(r.body).replaceAll(cases[i]!.username, 'USER'));
    expect(new Set(bodies).size).toBe(1);
    expect(real.every((r) => cookieFrom(r, 'gatehouse_session') === undefined)).toBe(true);
  });

  it('takes about the same time for unknown and known users (paired gap under a quarter of a sign-in)', async () => {
    // At the product's own hash cost, on a gateway of its own: the hash must outweigh the rest
    // of a sign-in for a path that skips it to stand out.
    const timing = await startGatewayHarness({ hashPolicy: DEFAULT_HASH_POLICY });
    try {
      const refused = (username: string) => async () => expect((await timing.postSignIn({ username, password: 'definitely-wrong' })).status).toBe(401);
      let unknown = 0;
      // Noise alternates in sign (−0.28, +0.37, −0.26 on an idle clean clone with four test files
      // beside this one); a skipped hash is a steady gap near −1 and fails every batch. So: more
      // rounds per batch, and up to five batches.
      const batches = await settlePairedGaps(() => measurePairedGaps(refused('alice'), { unknown: () => refused(`nobody${unknown++}`)() }, { rounds: 16 }), 0.25, 5);
      for (const batch of batches) expect(batch.referenceMedianMs, 'argon2 ran').toBeGreaterThan(20);
      expect(Math.abs(batches.at(-1)!.gaps.unknown!), JSON.stringify(batches)).toBeLessThan(0.25);
    } finally {
      await timing.close();
    }
  }, 600_000);

  it.each([
    ['no Origin or Referer', { origin: null }],
    ['a sibling site as Origin', { origin: `http://${APP}` }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['the null Origin', { origin: 'null' }],
  ])('refuses a sign-in post with %s (login CSRF)', async (_name, extra) => {
    const res = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse' }, extra);
    expect(res.status).toBe(403);
    expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['another token', 'A'.repeat(43)],
  ])('refuses a sign-in post whose CSRF token is %s', async (_name, token) => {
    const { csrfCookie } = await h.signInForm();
    const fields: Record<string, string> = { username: 'alice', password: 'alice-correct-horse' };
    if (token !== undefined) fields.csrf = token;
    const res = await h.request({
      method: 'POST',
      path: '/login',
      host: PORTAL,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${PORTAL}`, cookie: `gatehouse_csrf=${csrfCookie}` },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(403);
    expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
  });

  it('refuses a 1 MB password quickly, before any hashing', async () => {
    await expectNoSlowerThanASignIn(async () => expect((await h.postSignIn({ username: 'alice', password: 'x'.repeat(1024 * 1024) })).status).toBe(413));
  });

  it.each([
    ['a 10,000-character username', { username: 'a'.repeat(10_000), password: 'p' }],
    ['a 1,025-byte password', { username: 'alice', password: 'é'.repeat(513) }],
    ['an empty username', { username: '', password: 'p' }],
    ['an empty password', { username: 'alice', password: '' }],
  ])('refuses %s with 400', async (_name, fields) => {
    await expectNoSlowerThanASignIn(async () => expect((await h.postSignIn(fields)).status).toBe(400));
  });

  it('refuses a sign-in body that is not a form', async () => {
    const { csrfCookie } = await h.signInForm();
    for (const [type, body] of [
      ['application/json', '{"username":"alice"}'],
      ['text/plain', 'username=alice'],
    ] as const) {
      const res = await h.request({
        method: 'POST',
        path: '/login',
        host: PORTAL,
        headers: { 'content-type': type, origin: `http://${PORTAL}`, cookie: `gatehouse_csrf=${csrfCookie}` },
        body,
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('gives a new session id at every sign-in and ends the previous one', async () => {
    const first = await h.signIn('alice');
    const res = await h.postSignIn({ username: 'alice', password: 'alice-correct-horse' }, { cookie: first });
    const second = `gatehouse_session=${cookieFrom(res, 'gatehouse_session')}`;
    expect(second).not.toBe(first);
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: first } })).status).toBe(302);
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: second } })).status).toBe(200);
  });

  it('a signed-in user sent back to the portal goes straight on to an allowed target', async () => {
    const cookie = await h.signIn('alice');
    const res = await h.request({ path: `/?rd=${encodeURIComponent(`http://${APP}/admin/`)}`, host: PORTAL, headers: { cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://${APP}/admin/`);
  });

  it('shows the signed-in home with the sites the user may open', async () => {
    const cookie = await h.signIn('bob');
    const res = await h.request({ path: '/', host: PORTAL, headers: { cookie, 'accept-language': 'en' } });
    expect(res.status).toBe(200);
    expect(res.body).toContain('陳柏宇 Bob Chen');
    expect(res.body).toContain(`http://${APP}/`);
    expect(csrfFieldOf(res.body)).toBeDefined();
  });
});

describe('sign-out', () => {
  async function signOut(cookie: string, scope: 'here' | 'everywhere', rd?: string) {
    const home = await h.request({ path: '/logout', host: PORTAL, headers: { cookie } });
    const csrf = csrfFieldOf(home.body)!;
    return h.request({
      method: 'POST',
      path: '/logout',
      host: PORTAL,
      headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, scope, ...(rd ? { rd } : {}) }).toString(),
    });
  }

  it('ends the session for the upstream at once and clears the cookie', async () => {
    const cookie = await h.signIn('alice');
    expect((await h.request({ path: '/x', host: APP, headers: { cookie } })).status).toBe(200);
    const res = await signOut(cookie, 'here', `http://${APP}/public/bye`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`http://${APP}/public/bye`);
    expect(setCookieLine(res, 'gatehouse_session')).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    expect((await h.request({ path: '/x', host: APP, headers: { cookie } })).status).toBe(302);
  });

  it('sign out everywhere ends every session of the user and no one else’s', async () => {
    const a1 = await h.signIn('alice');
    const a2 = await h.signIn('alice');
    const b = await h.signIn('bob');
    await signOut(a1, 'everywhere');
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: a2 } })).status).toBe(302);
    expect((await h.request({ path: '/x', host: APP, headers: { cookie: b } })).status).toBe(200);
  });

  it('refuses a sign-out post without the session’s CSRF token', async () => {
    const cookie = await h.signIn('alice');
    const res = await h.request({
      method: 'POST',
      path: '/logout',
      host: PORTAL,
      headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=everywhere&csrf=forged',
    });
    expect(res.status).toBe(403);
    expect((await h.request({ path: '/x', host: APP, headers: { cookie } })).status).toBe(200);
  });

  it('sends an unsafe sign-out target to the portal instead', async () => {
    const cookie = await h.signIn('alice');
    const res = await signOut(cookie, 'here', 'https://evil.example/phish');
    expect(res.status).toBe(303);
    expect(new URL(res.headers.location!, `http://${PORTAL}`).host).toBe(PORTAL);
  });
});

describe('portal pages', () => {
  it('carry the security headers', async () => {
    const res = await h.request({ path: '/', host: PORTAL });
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('speak Traditional Chinese to a zh-TW browser', async () => {
    const res = await h.request({ path: '/', host: PORTAL, headers: { 'accept-language': 'zh-TW,zh;q=0.9,en;q=0.5' } });
    expect(res.body).toMatch(/<html[^>]+lang="zh-TW"/);
    const en = await h.request({ path: '/', host: PORTAL, headers: { 'accept-language': 'en-US' } });
    expect(en.body).toMatch(/<html[^>]+lang="en"/);
  });

  it('serve the stylesheet with nosniff', async () => {
    const page = await h.request({ path: '/', host: PORTAL });
    const href = /<link rel="stylesheet" href="(\/static\/portal\.[A-Z0-9]+\.css)"/.exec(page.body)?.[1];
    expect(href).toBeDefined();
    const res = await h.request({ path: href!, host: PORTAL });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
