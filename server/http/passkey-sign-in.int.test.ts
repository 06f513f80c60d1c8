import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { hashToken } from '../core/random.js';
import { createSoftAuthenticator, type Overrides, type SoftAuthenticator } from '../factors/webauthn/testing/soft-authenticator.js';
import { takeChallenge } from '../factors/webauthn/webauthn-challenges.js';
import type { FactorUse } from '../session/session.js';
import { cookieFrom } from '../testing/http-client.js';
import { APP, PORTAL, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness, type HarnessConfig } from '../testing/gateway-harness.js';

/**
 * A passkey alone signs in only where passwordless is allowed — globally
 * (`second_factors.webauthn.passwordless`) or by the rule that decides the sign-in's target
 * (`rd`) — and a session only meets the levels its factors meet, at every gate: reverse proxy,
 * forward-auth, portal pages and the admin API. Real Redis, real SQLite, a software
 * authenticator with real keys and signatures.
 */

const API = '/api/webauthn';
const ADMIN = '/api/admin/v1';
const ORIGIN = `http://${PORTAL}`;
const MINUTE = 60_000;

/** Base rules of the harness (see gateway-harness.ts), with passwordless rules put in front. */
function withRules(...rules: object[]) {
  return (c: HarnessConfig) => {
    c.access_control.rules.unshift(...(rules as never[]));
  };
}

/** A discoverable passkey with user verification, registered for `username` as the methods page would. */
async function addPasskey(h: GatewayHarness, username: string): Promise<SoftAuthenticator> {
  const { ctx } = h.gateway;
  const authenticator = createSoftAuthenticator({ origin: ORIGIN, userVerified: true, transports: ['internal'] });
  const binding = `test:${randomUUID()}`;
  const options = await ctx.webauthn.registrationOptions({ username, binding, now: ctx.clock.now() });
  const result = await ctx.webauthn.verifyRegistration({
    username,
    binding,
    response: authenticator.register(options, { residentKey: true }),
    name: 'Laptop',
    now: ctx.clock.now(),
  });
  if (!result.ok) throw new Error(`passkey registration failed: ${result.reason}`);
  return authenticator;
}

/** A fresh browser on the sign-in page: its CSRF cookie, the headers its script sends, its challenge binding. */
async function browserOn(h: GatewayHarness) {
  const { csrfCookie } = await h.signInForm();
  return { csrfCookie, headers: { cookie: `gatehouse_csrf=${csrfCookie}`, 'x-csrf-token': csrfCookie }, binding: `browser:${hashToken(csrfCookie)}` };
}
type Browser = Awaited<ReturnType<typeof browserOn>>;

function call(h: GatewayHarness, path: string, body: unknown, headers: Record<string, string>) {
  return h.request({
    method: 'POST',
    path: `${API}${path}`,
    host: PORTAL,
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * A challenge for this browser made without the options route: one issued before the config
 * changed, or for another target. The verify step must decide on its own.
 */
function issueDirectly(h: GatewayHarness, b: Browser) {
  return h.gateway.ctx.webauthn.authenticationOptions({ binding: b.binding, now: h.gateway.ctx.clock.now() });
}

/** Options (through the route when it answers, else issued directly), an assertion, and the verify call. */
async function passkeySignIn(
  h: GatewayHarness,
  authenticator: SoftAuthenticator,
  input: { rd?: unknown; verifyRd?: unknown; overrides?: Overrides; extra?: Record<string, unknown>; browser?: Browser } = {},
) {
  const b = input.browser ?? (await browserOn(h));
  const optionsBody = { mode: 'passwordless', ...(input.rd !== undefined ? { rd: input.rd } : {}), ...input.extra };
  const optionsRes = await call(h, '/authenticate/options', optionsBody, b.headers);
  const options = optionsRes.status === 200 ? JSON.parse(optionsRes.body).options : await issueDirectly(h, b);
  const response = authenticator.authenticate(options, input.overrides);
  const verifyRd = 'verifyRd' in input ? input.verifyRd : input.rd;
  const verifyBody = { mode: 'passwordless', response, ...(verifyRd !== undefined ? { rd: verifyRd } : {}), ...input.extra };
  const res = await call(h, '/authenticate/verify', verifyBody, b.headers);
  const token = cookieFrom(res, 'gatehouse_session');
  return { browser: b, optionsRes, res, response, verifyBody, cookie: token ? `gatehouse_session=${token}` : undefined };
}

function forwardAuth(h: GatewayHarness, host: string, uri: string, cookie: string) {
  const headers = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': uri, 'x-forwarded-for': '10.9.8.7', cookie };
  return h.request({ path: '/api/authz/forward-auth', host: 'gatehouse.internal:9091', headers, localAddress: TRUSTED_PROXY });
}

function authRequest(h: GatewayHarness, host: string, uri: string, cookie: string) {
  const headers = { 'x-original-url': `http://${host}${uri}`, 'x-original-method': 'GET', 'x-forwarded-for': '10.9.8.7', cookie };
  return h.request({ path: '/api/authz/auth-request', host: 'gatehouse.internal:9091', headers, localAddress: TRUSTED_PROXY });
}

function proxied(h: GatewayHarness, host: string, uri: string, cookie: string) {
  return h.request({ path: uri, host, headers: { cookie } });
}

function admin(h: GatewayHarness, method: string, path: string, cookie: string, csrf?: string) {
  const headers: Record<string, string> = { origin: ORIGIN, cookie };
  if (csrf) headers['x-csrf-token'] = csrf;
  const body = method === 'GET' ? undefined : '{}';
  if (body) headers['content-type'] = 'application/json';
  return h.request({ method, path: `${ADMIN}${path}`, host: PORTAL, headers, body }).then((res) => ({ ...res, json: res.body ? JSON.parse(res.body) : undefined }));
}

/** Every session record in Redis (keys `session:<hash>`), whoever it belongs to. */
async function sessionKeys(h: GatewayHarness): Promise<string[]> {
  const client = createClient({ url: h.redis.url });
  await client.connect();
  try {
    return (await client.keys('session:*')).sort();
  } finally {
    await client.quit();
  }
}

/** A session as some earlier version (or a bug) might have left it: these factors and no others. */
async function sessionWith(h: GatewayHarness, username: string, factors: FactorUse[]) {
  const { ctx } = h.gateway;
  const created = await ctx.sessions.create({ user: ctx.directory.findUser(username)!, factor: factors[0]!, rememberMe: false });
  const rotated = (await ctx.sessions.rotate(created.token, (s) => ({ ...s, factors })))!;
  return { cookie: `gatehouse_session=${rotated.token}`, csrf: rotated.session.csrf };
}

/** Whatever the browser holds after a refused sign-in: the CSRF cookie, and any cookie the answer set. */
function jarAfter(flow: { browser: Browser; res: { headers: { 'set-cookie'?: string[] } } }): string {
  const set = (flow.res.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]!);
  return [`gatehouse_csrf=${flow.browser.csrfCookie}`, ...set].join('; ');
}

/** Things a page's script might add to claim passwordless is fine: none may count. */
const CLIENT_FLAGS: Record<string, unknown>[] = [
  {},
  { passwordless: true },
  { allowPasswordless: true, passwordlessAllowed: true },
  { policy: 'bypass', level: 'one_factor' },
  { userVerified: true, uv: true },
  { factors: ['password', 'webauthn'] },
];

/** rd values that name no target where passwordless is allowed, when it is allowed nowhere. */
const TARGETS_OFF: unknown[] = [
  undefined,
  `http://${APP}/`,
  `http://${WIKI}/page`,
  `http://${APP}/public/x`,
  `http://${APP}/secure/x`,
  `http://${APP}/admin`,
  ORIGIN + '/',
  'https://evil.example/',
  'not a url',
  42,
  { href: `http://${WIKI}/` },
];

describe('passwordless off, and no rule allows it', () => {
  let h: GatewayHarness;
  let alicePasskey: SoftAuthenticator;
  let bobPasskey: SoftAuthenticator;
  beforeAll(async () => {
    h = await startGatewayHarness({ configure: (c) => void Object.assign(c, { second_factors: { webauthn: { passwordless: false } } }) });
    alicePasskey = await addPasskey(h, 'alice');
    bobPasskey = await addPasskey(h, 'bob');
  });
  afterAll(() => h?.close());

  it.each(TARGETS_OFF.flatMap((rd) => CLIENT_FLAGS.map((extra) => ({ rd, extra }))))('refuses to issue a challenge: rd $rd, body $extra', async ({ rd, extra }) => {
    const b = await browserOn(h);
    const res = await call(h, '/authenticate/options', { mode: 'passwordless', ...(rd !== undefined ? { rd } : {}), ...extra }, b.headers);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: 'passwordless-not-allowed' });
    expect(res.headers['set-cookie']).toBeUndefined();
    // Nothing was stored for this browser to answer.
    expect(await takeChallenge(h.gateway.ctx.kv, { ceremony: 'authentication', binding: b.binding, now: h.gateway.ctx.clock.now() })).toBeUndefined();
  });

  it.each(TARGETS_OFF.flatMap((rd) => CLIENT_FLAGS.slice(0, 3).map((extra) => ({ rd, extra }))))(
    'refuses a valid assertion of a registered passkey: no cookie, no session, not signed in anywhere (rd $rd, body $extra)',
    async ({ rd, extra }) => {
      const before = await sessionKeys(h);
      const flow = await passkeySignIn(h, alicePasskey, { rd, extra });
      expect(flow.optionsRes.status).toBe(403);
      expect(flow.res.status).toBe(403);
      expect(JSON.parse(flow.res.body)).toEqual({ error: 'passwordless-not-allowed' });
      expect(flow.res.headers['set-cookie']).toBeUndefined();
      expect(await sessionKeys(h)).toEqual(before);
      const jar = jarAfter(flow);
      for (const [host, uri] of [
        [WIKI, '/page'],
        [APP, '/'],
        [APP, '/secure/x'],
        [APP, '/admin'],
      ] as const) {
        expect((await forwardAuth(h, host, uri, jar)).status, `forward-auth ${host}${uri}`).toBe(302);
        expect((await authRequest(h, host, uri, jar)).status, `auth-request ${host}${uri}`).toBe(401);
      }
      expect((await proxied(h, APP, '/', jar)).status).toBe(302);
      expect((await admin(h, 'GET', '/session', jar)).status).toBe(401);
    },
  );

  it('refuses every user’s passkey, time after time (no counter or state lets one through)', async () => {
    for (const passkey of [alicePasskey, bobPasskey, alicePasskey, bobPasskey, alicePasskey]) {
      const before = await sessionKeys(h);
      const flow = await passkeySignIn(h, passkey);
      expect(flow.res.status).toBe(403);
      expect(flow.cookie).toBeUndefined();
      expect(await sessionKeys(h)).toEqual(before);
    }
  });

  it('records the refusal in the audit log, naming the reason', async () => {
    const since = (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;
    await passkeySignIn(h, alicePasskey);
    await vi.waitFor(
      async () => {
        const events = (await h.gateway.ctx.storage.auditEvents.after(since, 100)).filter((e) => e.kind.startsWith('sign_in.'));
        expect(events.map((e) => [e.kind, e.reason])).toEqual([['sign_in.failure', 'passwordless-not-allowed']]);
      },
      { timeout: 10_000 },
    );
  });

  it('the sign-in page offers no passkey button, whatever the target', async () => {
    for (const rd of [undefined, `http://${APP}/`, `http://${WIKI}/`]) {
      const page = await h.request({ path: rd ? `/?rd=${encodeURIComponent(rd)}` : '/', host: PORTAL });
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('data-webauthn="passwordless"');
    }
  });

  /** Sessions made before the fix (or by any other path) with no password in them. */
  const withoutPassword: [string, (now: number) => FactorUse[]][] = [
    ['a passkey with UV', (now) => [{ kind: 'webauthn', at: now, device: 'c1', userVerified: true }]],
    ['a passkey without UV', (now) => [{ kind: 'webauthn', at: now, device: 'c1', userVerified: false }]],
    [
      'a passkey and a TOTP code',
      (now) => [
        { kind: 'webauthn', at: now, device: 'c1', userVerified: true },
        { kind: 'totp', at: now, device: 'd1' },
      ],
    ],
    ['a TOTP code', (now) => [{ kind: 'totp', at: now, device: 'd1' }]],
    ['a push approval', (now) => [{ kind: 'push', at: now, device: 'p1' }]],
    ['a recovery code', (now) => [{ kind: 'recovery_code', at: now }]],
  ];

  it.each(withoutPassword)('a session holding only %s is not signed in at any gate', async (_name, factors) => {
    const alice = await sessionWith(h, 'alice', factors(h.gateway.ctx.clock.now()));
    for (const [host, uri] of [
      [WIKI, '/page'],
      [APP, '/'],
      [APP, '/secure/x'],
      [APP, '/admin'],
    ] as const) {
      const res = await forwardAuth(h, host, uri, alice.cookie);
      expect(res.status, `forward-auth ${host}${uri}`).toBe(302);
      expect(res.headers['remote-user']).toBeUndefined();
      expect((await authRequest(h, host, uri, alice.cookie)).status, `auth-request ${host}${uri}`).toBe(401);
    }
    const proxy = await proxied(h, APP, '/page', alice.cookie);
    expect(proxy.status).toBe(302);
    expect(h.upstream.seen.some((r) => r.url === '/page' && r.headers.cookie === alice.cookie)).toBe(false);
    // The portal sends it back to sign in, rather than on to the site.
    const portal = await h.request({ path: `/?rd=${encodeURIComponent(`http://${APP}/page`)}`, host: PORTAL, headers: { cookie: alice.cookie } });
    expect(portal.status).toBe(200);
    expect(portal.body).toContain('name="password"');
    expect(portal.headers.location).toBeUndefined();
    // An administrator's session without the password never reaches the admin API.
    for (const [method, path] of [
      ['GET', '/users'],
      ['POST', '/users/bob/enrollment-links'],
      ['POST', '/users/bob/unlock'],
    ] as const) {
      const res = await admin(h, method, path, alice.cookie, alice.csrf);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toEqual({ error: 'fresh_factor_required' });
    }
    expect((await admin(h, 'GET', '/session', alice.cookie)).json).toMatchObject({ username: 'alice', freshFactorUntil: null });
  });

  it('the same administrator with the password and a fresh passkey may issue an enrollment link', async () => {
    const now = h.gateway.ctx.clock.now();
    const alice = await sessionWith(h, 'alice', [
      { kind: 'password', at: now },
      { kind: 'webauthn', at: now, device: 'c1', userVerified: true },
    ]);
    const res = await admin(h, 'POST', '/users/bob/enrollment-links', alice.cookie, alice.csrf);
    expect(res.status).toBe(200);
    expect(res.json.username).toBe('bob');
  });
});

describe('passwordless allowed by one rule only (wiki), off globally', () => {
  let h: GatewayHarness;
  let alicePasskey: SoftAuthenticator;
  let bobPasskey: SoftAuthenticator;
  beforeAll(async () => {
    h = await startGatewayHarness({
      configure: withRules(
        { domain: WIKI, resources: ['/staff/.*'], subject: 'group:admins', policy: 'one_factor', passwordless: false },
        { domain: WIKI, resources: ['/2fa/.*'], policy: 'two_factor', passwordless: true },
        { domain: WIKI, policy: 'one_factor', passwordless: true },
      ),
    });
    alicePasskey = await addPasskey(h, 'alice');
    bobPasskey = await addPasskey(h, 'bob');
  });
  afterAll(() => h?.close());

  it('signs in for the wiki; the session is good there and nowhere else', async () => {
    const flow = await passkeySignIn(h, bobPasskey, { rd: `http://${WIKI}/page` });
    expect(flow.optionsRes.status).toBe(200);
    expect(flow.res.status).toBe(200);
    expect(JSON.parse(flow.res.body)).toEqual({ ok: true, redirect: `http://${WIKI}/page` });
    const cookie = flow.cookie!;
    expect(cookie).toBeDefined();
    const [record] = await h.gateway.ctx.sessions.listForUser('bob');
    // What happened, and nothing more: one passkey use, verified by the authenticator.
    expect(record!.session.factors).toEqual([expect.objectContaining({ kind: 'webauthn', userVerified: true })]);

    const wiki = await forwardAuth(h, WIKI, '/page', cookie);
    expect(wiki.status).toBe(200);
    expect(wiki.headers['remote-user']).toBe('bob');
    expect((await forwardAuth(h, WIKI, '/2fa/x', cookie)).status).toBe(200);
    expect((await authRequest(h, WIKI, '/page', cookie)).status).toBe(200);
    for (const [host, uri] of [
      [APP, '/'],
      [APP, '/page'],
      [APP, '/secure/x'],
    ] as const) {
      expect((await forwardAuth(h, host, uri, cookie)).status, `forward-auth ${host}${uri}`).toBe(302);
      expect((await authRequest(h, host, uri, cookie)).status, `auth-request ${host}${uri}`).toBe(401);
      expect((await proxied(h, host, uri, cookie)).status, `proxy ${host}${uri}`).toBe(302);
    }
    // The portal's home lists the sites this session can open: the wiki, not the app.
    const home = await h.request({ path: '/', host: PORTAL, headers: { cookie } });
    expect(home.body).toContain(`http://${WIKI}/`);
    expect(home.body).not.toContain(`href="http://${APP}/"`);
  });

  it.each([
    ['no target', undefined],
    ['the app (one_factor, no passwordless)', `http://${APP}/`],
    ['the app’s two_factor part', `http://${APP}/secure/x`],
    ['a bypass path', `http://${APP}/public/x`],
    ['the portal itself', `${ORIGIN}/methods`],
    ['a look-alike of the wiki', `http://${WIKI}.evil.example/`],
    ['an unsafe target', 'javascript:alert(1)'],
  ])('refuses options and verify for %s', async (_name, rd) => {
    const before = await sessionKeys(h);
    const flow = await passkeySignIn(h, bobPasskey, { rd });
    expect(flow.optionsRes.status).toBe(403);
    expect(flow.res.status).toBe(403);
    expect(JSON.parse(flow.res.body).error).toBe('passwordless-not-allowed');
    expect(flow.res.headers['set-cookie']).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it.each([
    ['the app', `http://${APP}/`],
    ['no target', undefined],
    ['a target that is not a string', { toString: `http://${WIKI}/` }],
  ])('a challenge asked for the wiki does not sign in for %s', async (_name, verifyRd) => {
    const before = await sessionKeys(h);
    const flow = await passkeySignIn(h, bobPasskey, { rd: `http://${WIKI}/`, verifyRd });
    expect(flow.optionsRes.status).toBe(200);
    expect(flow.res.status).toBe(403);
    expect(flow.cookie).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it('decides with the user the passkey names: an administrator is refused where a rule for admins says no', async () => {
    const rd = `http://${WIKI}/staff/x`;
    const before = await sessionKeys(h);
    const alice = await passkeySignIn(h, alicePasskey, { rd });
    // Offered (someone else may sign in here with a passkey), then refused once the passkey names alice.
    expect(alice.optionsRes.status).toBe(200);
    expect(alice.res.status).toBe(403);
    expect(alice.cookie).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
    const bob = await passkeySignIn(h, bobPasskey, { rd });
    expect(bob.res.status).toBe(200);
    expect((await forwardAuth(h, WIKI, '/staff/x', bob.cookie!)).status).toBe(200);
  });

  it('an administrator signed in with a passkey on the wiki cannot use the admin API', async () => {
    const flow = await passkeySignIn(h, alicePasskey, { rd: `http://${WIKI}/` });
    expect(flow.res.status).toBe(200);
    const me = await admin(h, 'GET', '/session', flow.cookie!);
    expect(me.json).toMatchObject({ username: 'alice', freshFactorUntil: null });
    for (const [method, path] of [
      ['GET', '/users'],
      ['POST', '/users/bob/enrollment-links'],
    ] as const) {
      const res = await admin(h, method, path, flow.cookie!, me.json.csrfToken);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toEqual({ error: 'fresh_factor_required' });
    }
  });

  it('the sign-in page offers the passkey button only for a target where it can work', async () => {
    const page = (rd?: string) => h.request({ path: rd ? `/?rd=${encodeURIComponent(rd)}` : '/', host: PORTAL }).then((r) => r.body);
    expect(await page(`http://${WIKI}/page`)).toContain('data-webauthn="passwordless"');
    expect(await page(`http://${APP}/`)).not.toContain('data-webauthn="passwordless"');
    expect(await page()).not.toContain('data-webauthn="passwordless"');
  });
});

describe('passwordless on globally, off for one part of the app', () => {
  let h: GatewayHarness;
  const clock = createFixedClock(Date.now());
  let alicePasskey: SoftAuthenticator;
  let bobPasskey: SoftAuthenticator;
  beforeAll(async () => {
    h = await startGatewayHarness({
      clock,
      configure: (c) => {
        Object.assign(c, { second_factors: { webauthn: { passwordless: true } } });
        withRules({ domain: APP, resources: ['/strict/.*'], policy: 'one_factor', passwordless: false })(c);
      },
    });
    alicePasskey = await addPasskey(h, 'alice');
    bobPasskey = await addPasskey(h, 'bob');
  });
  afterAll(() => h?.close());

  it.each([undefined, `http://${APP}/`, `http://${APP}/secure/x`, `http://${WIKI}/`])('signs in with rd %s', async (rd) => {
    const flow = await passkeySignIn(h, bobPasskey, { rd });
    expect(flow.res.status).toBe(200);
    expect(flow.cookie).toBeDefined();
    expect((await forwardAuth(h, APP, '/page', flow.cookie!)).status).toBe(200);
    expect((await proxied(h, APP, '/page', flow.cookie!)).status).toBe(200);
    // ... but not where a rule turns passwordless off.
    expect((await forwardAuth(h, APP, '/strict/x', flow.cookie!)).status).toBe(302);
    expect((await proxied(h, APP, '/strict/x', flow.cookie!)).status).toBe(302);
  });

  it('refuses options and verify for a target whose rule turns passwordless off', async () => {
    const before = await sessionKeys(h);
    const flow = await passkeySignIn(h, bobPasskey, { rd: `http://${APP}/strict/x` });
    expect(flow.optionsRes.status).toBe(403);
    expect(flow.res.status).toBe(403);
    expect(flow.cookie).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it.each<[string, Overrides]>([
    ['UV=0', { flags: { uv: false } }],
    ['UV=0 and UP=0', { flags: { uv: false, up: false } }],
    ['UV=0 with backup flags as registered', { flags: { uv: false, be: false, bs: false } }],
  ])('refuses an assertion with %s: passwordless needs user verification', async (_name, overrides) => {
    const before = await sessionKeys(h);
    const flow = await passkeySignIn(h, alicePasskey, { overrides });
    expect(flow.res.status).toBe(400);
    expect(['user-verification-required', 'user-presence-required']).toContain(JSON.parse(flow.res.body).error);
    expect(flow.cookie).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it('a challenge is used once: the same assertion again, or from another browser, makes no session', async () => {
    const first = await passkeySignIn(h, bobPasskey);
    expect(first.res.status).toBe(200);
    const before = await sessionKeys(h);
    const again = await call(h, '/authenticate/verify', first.verifyBody, first.browser.headers);
    expect(again.status).toBe(400);
    expect(JSON.parse(again.body).error).toBe('challenge-expired');
    const other = await browserOn(h);
    await call(h, '/authenticate/options', { mode: 'passwordless' }, other.headers);
    const elsewhere = await call(h, '/authenticate/verify', first.verifyBody, other.headers);
    expect(elsewhere.status).toBe(400);
    expect(JSON.parse(elsewhere.body).error).toBe('challenge-mismatch');
    for (const res of [again, elsewhere]) expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it('a second-factor challenge does not complete a passkey sign-in', async () => {
    const b = await browserOn(h);
    const options = await h.gateway.ctx.webauthn.authenticationOptions({ username: 'alice', binding: b.binding, now: clock.now() });
    const before = await sessionKeys(h);
    const res = await call(h, '/authenticate/verify', { mode: 'passwordless', response: alicePasskey.authenticate(options) }, b.headers);
    expect(res.status).toBe(400);
    expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
    expect(await sessionKeys(h)).toEqual(before);
  });

  it('an expired challenge makes no session', async () => {
    for (const late of [2 * MINUTE, 2 * MINUTE + 1, 60 * MINUTE]) {
      const b = await browserOn(h);
      const asked = await call(h, '/authenticate/options', { mode: 'passwordless' }, b.headers);
      const response = bobPasskey.authenticate(JSON.parse(asked.body).options);
      clock.advance(late);
      const before = await sessionKeys(h);
      const res = await call(h, '/authenticate/verify', { mode: 'passwordless', response }, b.headers);
      expect(res.status, `${late} ms later`).toBe(400);
      expect(JSON.parse(res.body).error).toBe('challenge-expired');
      expect(cookieFrom(res, 'gatehouse_session')).toBeUndefined();
      expect(await sessionKeys(h)).toEqual(before);
    }
  });

  it('an administrator’s fresh passkey sign-in reaches the admin API (documented), a stale one does not', async () => {
    const flow = await passkeySignIn(h, alicePasskey);
    expect(flow.res.status).toBe(200);
    const me = await admin(h, 'GET', '/session', flow.cookie!);
    expect(me.json.freshFactorUntil).toBe(clock.now() + 10 * MINUTE);
    const issued = await admin(h, 'POST', '/users/bob/enrollment-links', flow.cookie!, me.json.csrfToken);
    expect(issued.status).toBe(200);
    clock.advance(10 * MINUTE + 1);
    const late = await admin(h, 'POST', '/users/bob/enrollment-links', flow.cookie!, me.json.csrfToken);
    expect(late.status).toBe(403);
    expect(late.json).toEqual({ error: 'fresh_factor_required' });
  });

  it('a passkey without user verification in a session is no admin factor even here', async () => {
    const alice = await sessionWith(h, 'alice', [{ kind: 'webauthn', at: clock.now(), device: 'c1', userVerified: false }]);
    const res = await admin(h, 'GET', '/users', alice.cookie);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'fresh_factor_required' });
    expect((await forwardAuth(h, APP, '/page', alice.cookie)).status).toBe(302);
  });
});
