import { generateHotp } from '../factors/otp/generate-otp.js';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway.js';
import type { FactorUse } from '../session/session.js';
import { send } from '../testing/http-client.js';
import { APP, baseConfig, PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';

/**
 * The admin API through the whole gateway with a real Redis and SQLite: who may call it, CSRF,
 * body rules, each action with exactly its audit event, and revocation reaching a second
 * instance that shares the Redis.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

const API = '/api/admin/v1';
const ORIGIN = `http://${PORTAL}`;
const MINUTE = 60_000;

/** A session as the portal would leave it after a password and, optionally, a second factor `age` ms ago. */
async function sessionFor(username: string, second?: { kind: FactorUse['kind']; ageMs: number }) {
  const { ctx } = h.gateway;
  const now = Date.now();
  const created = await ctx.sessions.create({ user: ctx.directory.findUser(username)!, factor: { kind: 'password', at: now }, rememberMe: false });
  let { token, session } = created;
  if (second) {
    const rotated = (await ctx.sessions.rotate(token, (s) => ({ ...s, factors: [...s.factors, { kind: second.kind, at: now - second.ageMs }] })))!;
    ({ token, session } = rotated);
  }
  return { cookie: `gatehouse_session=${token}`, csrf: session.csrf, token };
}

const freshAdmin = () => sessionFor('alice', { kind: 'totp', ageMs: MINUTE });

type Caller = { cookie?: string; csrf?: string };
function call(method: string, path: string, who: Caller = {}, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { origin: ORIGIN };
  if (who.cookie) headers.cookie = who.cookie;
  if (who.csrf) headers['x-csrf-token'] = who.csrf;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, options.headers);
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  return h.request({ method, path: `${API}${path}`, host: PORTAL, headers, body }).then((res) => ({ ...res, json: res.body ? JSON.parse(res.body) : undefined }));
}

/** Admin audit events recorded after `since` (an event id), oldest first. */
async function adminEventsAfter(since: number) {
  return (await h.gateway.ctx.storage.auditEvents.after(since, 1000)).filter((e) => e.kind.startsWith('admin.'));
}
const lastEventId = async () => (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;

describe('admin API: who may call it', () => {
  it('refuses a caller without a session (401), on reads and writes', async () => {
    for (const [method, path] of [
      ['GET', '/users'],
      ['GET', '/session'],
      ['POST', '/users/bob/unlock'],
      ['DELETE', '/users/bob/sessions'],
      ['GET', '/nothing-here'],
    ]) {
      const res = await call(method!, path!, { cookie: 'gatehouse_session=forged-token-value-aaaaaaaaaaaaaaaaaaaaaaaaa' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.json).toEqual({ error: 'signed_out' });
    }
  });

  it('refuses a user outside admin.group even with a fresh second factor (403 forbidden)', async () => {
    const bob = await sessionFor('bob', { kind: 'webauthn', ageMs: 0 });
    expect((await call('GET', '/users', bob)).json).toEqual({ error: 'forbidden' });
    const post = await call('POST', '/users/alice/disable', bob);
    expect(post.status).toBe(403);
    expect(post.json).toEqual({ error: 'forbidden' });
    expect(await h.gateway.ctx.storage.accountStates.get('alice')).toBeUndefined();
  });

  it.each([
    ['a password alone', undefined],
    ['a stale TOTP (11 minutes old)', { kind: 'totp' as const, ageMs: 11 * MINUTE }],
    ['a stale passkey (a day old)', { kind: 'webauthn' as const, ageMs: 86_400_000 }],
    ['a second factor dated in the future', { kind: 'totp' as const, ageMs: -5 * MINUTE }],
  ])('refuses an administrator with %s: 403 fresh_factor_required', async (_name, second) => {
    const alice = await sessionFor('alice', second);
    for (const [method, path] of [
      ['GET', '/users'],
      ['GET', '/users/bob'],
      ['POST', '/users/bob/unlock'],
    ]) {
      const res = await call(method!, path!, alice);
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ error: 'fresh_factor_required' });
    }
    // The console can still learn who it is and that a fresh factor is needed.
    const me = await call('GET', '/session', alice);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ username: 'alice', csrfToken: alice.csrf, freshFactorUntil: null });
  });

  it('a password sign-in through the portal is not enough; the same session with a fresh factor is', async () => {
    const cookie = await h.signIn('alice');
    expect((await call('GET', '/users', { cookie })).json).toEqual({ error: 'fresh_factor_required' });
    const fresh = await freshAdmin();
    const me = await call('GET', '/session', fresh);
    expect(me.json.freshFactorUntil).toBeGreaterThan(Date.now() + 8 * MINUTE);
    expect((await call('GET', '/users', fresh)).status).toBe(200);
  });
});

describe('admin API: CSRF and request bodies', () => {
  it.each([
    ['no token', (s: Caller) => ({ ...s, csrf: undefined }), {}],
    ['a wrong token', (s: Caller) => ({ ...s, csrf: 'x'.repeat(43) }), {}],
    ['a truncated token', (s: Caller) => ({ ...s, csrf: s.csrf!.slice(0, -1) }), {}],
    ['the token with a suffix', (s: Caller) => ({ ...s, csrf: `${s.csrf}x` }), {}],
    ['an empty token', (s: Caller) => ({ ...s, csrf: ' ' }), {}],
    ['a sibling site as Origin', (s: Caller) => s, { origin: `http://${APP}` }],
    ['a look-alike Origin', (s: Caller) => s, { origin: `http://${PORTAL}.evil.example` }],
    ['Origin null', (s: Caller) => s, { origin: 'null' }],
    ['https instead of http', (s: Caller) => s, { origin: `https://${PORTAL}` }],
    ['no Origin and no Referer', (s: Caller) => s, { origin: '' }],
    ['no Origin and a foreign Referer', (s: Caller) => s, { origin: '', referer: `http://${APP}/x` }],
  ])('refuses a write with %s (403 csrf), and nothing changes', async (_name, change, headers) => {
    const alice = await freshAdmin();
    const bob = await sessionFor('bob');
    const before = await lastEventId();
    const res = await call('DELETE', '/users/bob/sessions', change(alice), { headers });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'csrf' });
    expect(await h.gateway.ctx.sessions.read(bob.token)).not.toBeNull();
    expect(await adminEventsAfter(before)).toEqual([]);
  });

  it('refuses another session’s CSRF token', async () => {
    const alice = await freshAdmin();
    const other = await freshAdmin();
    expect((await call('POST', '/users/bob/unlock', { cookie: alice.cookie, csrf: other.csrf })).json).toEqual({ error: 'csrf' });
  });

  it.each([
    ['a form body', 415, 'reason=x', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['text/plain (a CORS-simple type)', 415, '{"reason":"x"}', { 'content-type': 'text/plain' }],
    ['a body without a type', 415, '{"reason":"x"}', { 'content-type': '' }],
    ['malformed JSON', 400, '{"reason":', {}],
    ['a JSON array', 400, '[]', {}],
    ['JSON null', 400, 'null', {}],
    ['an unknown field', 400, { reason: 'x', admin: true }, {}],
    ['a __proto__ field', 400, '{"__proto__":{"x":1}}', {}],
    ['a reason of the wrong type', 400, { reason: 42 }, {}],
    ['a reason too long', 400, { reason: 'x'.repeat(201) }, {}],
    ['a 100 KB body', 413, { reason: 'x'.repeat(100_000) }, {}],
  ])('answers %s with %i, and nothing changes', async (_name, status, body, headers) => {
    const alice = await freshAdmin();
    const res = await call('POST', '/users/bob/disable', alice, { body, headers });
    expect(res.status).toBe(status);
    expect(await h.gateway.ctx.storage.accountStates.get('bob')).toBeUndefined();
  });

  it('answers unknown names with 404 and a reason', async () => {
    const alice = await freshAdmin();
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/users/nobody', undefined, 'unknown_user'],
      ['POST', '/users/nobody/unlock', undefined, 'unknown_user'],
      ['POST', '/users/b%C3%B6b/disable', undefined, 'unknown_user'],
      ['POST', '/users/bob%20/enable', undefined, 'unknown_user'],
      ['GET', '/users/nobody/sessions', undefined, 'unknown_user'],
      ['DELETE', '/users/bob/sessions/AAAAAAAAAAAAAAAA', undefined, 'unknown_session'],
      ['DELETE', '/users/bob/sessions/not-a-session', undefined, 'unknown_session'],
      ['POST', '/tokens/NOPE-1/assign', { username: 'bob' }, 'unknown_token'],
      ['POST', '/tokens/NOPE-1/unassign', undefined, 'unknown_token'],
      ['GET', '/no-such-route', undefined, 'not_found'],
    ];
    for (const [method, path, body, reason] of cases) {
      const res = await call(method, path, alice, { body });
      expect([res.status, res.json], `${method} ${path}`).toEqual([404, { error: reason }]);
    }
  });
});

describe('admin API: actions', () => {
  it('lists and searches users with their status', async () => {
    const alice = await freshAdmin();
    const all = await call('GET', '/users', alice);
    expect(all.json.users.map((u: { username: string }) => u.username)).toEqual(['alice', 'bob', 'carol']);
    expect(all.json.users[2]).toMatchObject({ username: 'carol', disabled: { directory: true, gatehouse: null }, lock: { locked: false } });
    expect((await call('GET', '/users?search=CHEN', alice)).json.users.map((u: { username: string }) => u.username)).toEqual(['bob']);
    expect((await call('GET', `/users?search=${'x'.repeat(101)}`, alice)).status).toBe(400);
    expect((await call('GET', '/users?search=a&search=b', alice)).status).toBe(400);
    // Pages: a directory may hold thousands; at most 200 described per call.
    expect(all.json).toMatchObject({ total: 3, offset: 0, limit: 50 });
    const page = await call('GET', '/users?offset=1&limit=1', alice);
    expect([page.json.users.map((u: { username: string }) => u.username), page.json.total]).toEqual([['bob'], 3]);
    for (const bad of ['limit=0', 'limit=201', 'limit=-1', 'offset=-1', 'offset=x', 'limit=1.5', 'limit=1&limit=2']) {
      expect((await call('GET', `/users?${bad}`, alice)).status, bad).toBe(400);
    }
    const one = await call('GET', '/users/Bob', alice);
    expect(one.json.user).toMatchObject({ username: 'bob', factors: { totp: 0, hardware_token: 0, webauthn: 0, push: 0, recovery_codes: 0 } });
    expect(one.json.user.lastSignInAt === null || typeof one.json.user.lastSignInAt === 'number').toBe(true);
  });

  it('unlock ends a lock and leaves one admin.unlock event with the administrator, address and user agent', async () => {
    const { regulator } = h.gateway.ctx;
    await regulator.lock('bob', { reason: 'admin', actor: 'test' });
    const alice = await freshAdmin();
    const before = await lastEventId();
    const res = await call('POST', '/users/bob/unlock', alice, { headers: { 'user-agent': 'admin-console/1' } });
    expect([res.status, res.json]).toEqual([200, { username: 'bob', wasLocked: true }]);
    expect(await regulator.isLocked('bob')).toBe(false);
    const events = await adminEventsAfter(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'admin.unlock', actor: 'alice', subject: 'bob', clientIp: '127.0.0.1', userAgent: 'admin-console/1', result: 'success' });
  });

  it('sessions: lists without secrets; revoking one leaves the other; revoking all ends the rest', async () => {
    const alice = await freshAdmin();
    const one = await sessionFor('bob');
    const two = await sessionFor('bob');
    const list = await call('GET', '/users/bob/sessions', alice);
    expect(list.status).toBe(200);
    const ids = list.json.sessions.map((s: { id: string }) => s.id);
    const idOne = h.gateway.ctx.sessions.idOf(one.token)!;
    expect(ids).toEqual(expect.arrayContaining([idOne, h.gateway.ctx.sessions.idOf(two.token)]));
    for (const secret of [one.token, two.token, one.csrf, two.csrf]) expect(list.body).not.toContain(secret);

    const before = await lastEventId();
    expect((await call('DELETE', `/users/bob/sessions/${idOne}`, alice)).status).toBe(200);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: one.cookie } })).status).toBe(302);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: two.cookie } })).status).toBe(200);
    expect((await call('DELETE', `/users/bob/sessions/${idOne}`, alice)).status).toBe(404);

    const all = await call('DELETE', '/users/bob/sessions', alice);
    expect(all.json.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: two.cookie } })).status).toBe(302);
    expect((await adminEventsAfter(before)).map((e) => [e.kind, e.details.scope])).toEqual([
      ['admin.session_revoke', 'one'],
      ['admin.session_revoke', 'all'],
    ]);
  });

  it('reset-factors removes factors and ends sessions, with one admin.reset_factors event', async () => {
    const { storage } = h.gateway.ctx;
    await storage.otpDevices.create(
      { username: 'bob', kind: 'totp', name: 'phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const bob = await sessionFor('bob', { kind: 'totp', ageMs: 0 });
    const alice = await freshAdmin();
    expect((await call('GET', '/users/bob', alice)).json.user.factors.totp).toBe(1);
    const before = await lastEventId();
    const res = await call('POST', '/users/bob/reset-factors', alice, { body: {} });
    expect(res.status).toBe(200);
    expect(await storage.otpDevices.listForUser('bob')).toEqual([]);
    expect(await h.gateway.ctx.sessions.read(bob.token)).toBeNull();
    expect((await adminEventsAfter(before)).map((e) => e.kind)).toEqual(['admin.reset_factors']);
  });

  it('tokens: assign and unassign, each with its event', async () => {
    const { storage } = h.gateway.ctx;
    await storage.otpDevices.importTokens(
      [{ username: null, kind: 'hotp', name: 'HW-7', secret: Buffer.alloc(20, 2), algorithm: 'SHA1', digits: 6, period: 30, serial: 'HW-7', confirmed: true }],
      Date.now(),
    );
    const alice = await freshAdmin();
    const before = await lastEventId();
    expect((await call('POST', '/tokens/HW-7/assign', alice, { body: { username: 'bob' } })).json).toEqual({ username: 'bob', already: false });
    expect((await call('POST', '/tokens/HW-7/assign', alice, { body: { username: 'alice' } })).status).toBe(409);
    expect((await call('POST', '/tokens/HW-7/assign', alice, { body: {} })).status).toBe(400);
    expect((await storage.otpDevices.findBySerial('HW-7'))?.username).toBe('bob');
    expect((await call('POST', '/tokens/HW-7/unassign', alice)).json).toEqual({ previousOwner: 'bob' });
    expect((await adminEventsAfter(before)).map((e) => [e.kind, e.subject, e.details.serial])).toEqual([
      ['admin.token_assign', 'bob', 'HW-7'],
      ['admin.token_unassign', 'bob', 'HW-7'],
    ]);
  });

  it('tokens: the inventory, and resync from two consecutive codes (refused codes change nothing)', async () => {
    const { storage } = h.gateway.ctx;
    const secret = Buffer.alloc(20, 3);
    await storage.otpDevices.importTokens(
      [{ username: null, kind: 'hotp', name: 'HW-8', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: 'HW-8', confirmed: true }],
      Date.now(),
    );
    const alice = await freshAdmin();
    const list = await call('GET', '/tokens?search=hw-8&unassigned=1', alice);
    expect(list.json).toEqual({ tokens: [{ serial: 'HW-8', kind: 'hotp', digits: 6, period: 30, username: null, lastUsedAt: null }], total: 1, offset: 0, limit: 50 });
    expect((await call('GET', '/tokens?unassigned=yes', alice)).status).toBe(400);
    const before = await lastEventId();
    const code = (counter: number) => generateHotp(secret, counter, { digits: 6, algorithm: 'SHA1' });
    expect((await call('POST', '/tokens/HW-8/resync', alice, { body: { code1: code(30), code2: code(32) } })).json).toEqual({ error: 'resync_refused' });
    expect((await call('POST', '/tokens/HW-8/resync', alice, { body: { code1: 'abc', code2: code(31) } })).json).toEqual({ error: 'malformed' });
    expect((await call('POST', '/tokens/NOPE/resync', alice, { body: { code1: code(30), code2: code(31) } })).json).toEqual({ error: 'unknown_token' });
    expect((await call('POST', '/tokens/HW-8/resync', alice, { body: { code1: code(30), code2: code(31) } })).json).toEqual({ kind: 'hotp', counter: 32 });
    expect((await adminEventsAfter(before)).map((e) => [e.kind, e.details.serial])).toEqual([['admin.token_resync', 'HW-8']]);
  });

  it('enrollment links: a code and the page to enter it; the event never holds the code', async () => {
    const alice = await freshAdmin();
    const before = await lastEventId();
    const res = await call('POST', '/users/bob/enrollment-links', alice, { body: { ttlSeconds: 600 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ username: 'bob', link: `http://${PORTAL}/methods` });
    expect(res.json.code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(res.json.expiresAt).toBeGreaterThan(Date.now() + 590_000);
    const events = await adminEventsAfter(before);
    expect(events.map((e) => e.kind)).toEqual(['admin.enrollment_issued']);
    expect(JSON.stringify(events)).not.toContain(res.json.code.slice(0, 5));
    expect((await call('POST', '/users/carol/enrollment-links', alice)).json).toEqual({ error: 'user_disabled' });
    expect((await call('POST', '/users/bob/enrollment-links', alice, { body: { ttlSeconds: 10 } })).status).toBe(400);
  });
});

describe('admin API: disabling reaches every instance', () => {
  let second: Gateway;
  let secondPort: number;
  beforeAll(async () => {
    const config = baseConfig({ redisUrl: h.redis.url, usersFile: h.usersFile, upstreamPort: h.upstream.port });
    const loaded = parseConfigText(stringify(config), { env: {}, baseDir: h.dir });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    second = await createGateway(loaded.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY });
    secondPort = (await second.listen(0, '127.0.0.1')).port;
    await second.ctx.sessions.whenSubscribed();
  });
  afterAll(() => second?.close());

  it('disable ends a session the second instance had cached; enable lifts the state, with one event each', async () => {
    const bob = await sessionFor('bob');
    const onSecond = () => send({ port: secondPort, path: '/', host: APP, headers: { cookie: bob.cookie } });
    expect((await onSecond()).status).toBe(200); // now cached on the second instance
    const alice = await freshAdmin();
    const before = await lastEventId();
    const res = await call('POST', '/users/bob/disable', alice, { body: { reason: 'laptop stolen' } });
    expect([res.status, res.json]).toEqual([200, { username: 'bob', sessionsEnded: 1 }]);
    expect(await h.gateway.ctx.storage.accountStates.get('bob')).toMatchObject({ disabledBy: 'alice', reason: 'laptop stolen' });
    await expect.poll(async () => (await onSecond()).status, { timeout: 2000, interval: 20 }).toBe(302);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: bob.cookie } })).status).toBe(302);
    expect((await call('GET', '/users/bob', alice)).json.user.disabled.gatehouse).toMatchObject({ by: 'alice', reason: 'laptop stolen' });

    expect((await call('POST', '/users/bob/enable', alice)).json).toEqual({ username: 'bob', wasDisabled: true });
    expect(await h.gateway.ctx.storage.accountStates.get('bob')).toBeUndefined();
    const events = await adminEventsAfter(before);
    expect(events.map((e) => [e.kind, e.actor, e.subject])).toEqual([
      ['admin.disable', 'alice', 'bob'],
      ['admin.enable', 'alice', 'bob'],
    ]);
    expect(events[0]!.reason).toBe('laptop stolen');
  });

  it('a session revoked through the API is refused on the second instance at once', async () => {
    const bob = await sessionFor('bob');
    expect((await send({ port: secondPort, path: '/', host: APP, headers: { cookie: bob.cookie } })).status).toBe(200);
    const alice = await freshAdmin();
    const id = h.gateway.ctx.sessions.idOf(bob.token)!;
    expect((await call('DELETE', `/users/bob/sessions/${id}`, alice)).status).toBe(200);
    await expect.poll(async () => (await send({ port: secondPort, path: '/', host: APP, headers: { cookie: bob.cookie } })).status, { timeout: 2000, interval: 20 }).toBe(302);
  });
});
