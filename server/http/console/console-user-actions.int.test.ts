import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemEnrollmentCode } from '../../enrollment/enrollment-codes.js';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { addConsoleUsers, adminEventsAfter, type Caller, CONSOLE_USERS, consoleRequest, lastEventId, MINUTE, sessionFor } from './testing/console-harness.js';

/**
 * The user page and each action on it through the whole gateway: what the page shows, that each
 * action does what it says with exactly one audit event (the administrator as actor, the user as
 * subject), and that an action on a user who does not exist is a clear 404 with no event.
 */
let h: GatewayHarness;
let alice: Caller;
beforeAll(async () => {
  h = await startGatewayHarness();
  await addConsoleUsers(h);
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
});
afterAll(() => h?.close());

const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const page = (name: string) => consoleRequest(h, 'GET', `/users/${name}`, alice);
const act = (name: string, action: string, fields: Record<string, string> = {}) => consoleRequest(h, 'POST', `/users/${name}/${action}`, alice, { fields });

/** A session of `username` signed in from `ip` with a Chrome on Windows. */
async function sessionOf(username: string, ip = '10.1.2.3') {
  const { ctx } = h.gateway;
  return ctx.sessions.create({ user: ctx.directory.findUser(username)!, factor: { kind: 'password', at: Date.now() }, rememberMe: false, client: { ip, userAgent: CHROME_UA } });
}

/** The page a post redirected to. */
const follow = (res: { headers: { location?: string } }) => consoleRequest(h, 'GET', res.headers.location!.slice('/console'.length), alice);

/** Runs `action` and returns the admin events it left. */
async function eventsOf(action: () => Promise<unknown>) {
  const before = await lastEventId(h);
  await action();
  return adminEventsAfter(h, before);
}

describe('the user page', () => {
  it('shows directory data, groups, factors with drift, sessions with browser and address, lock and trail', async () => {
    const { ctx } = h.gateway;
    await ctx.storage.otpDevices.create(
      { username: 'erin', kind: 'totp', name: 'Erin’s iPhone', secret: Buffer.alloc(20, 7), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const [device] = await ctx.storage.otpDevices.listForUser('erin');
    await ctx.storage.otpDevices.recordUse(device!.id, { expectedLastStep: null, lastStep: 1, driftSteps: 4 }, Date.now());
    // Locked first: a lock ends the user's sessions.
    await ctx.regulator.lock('erin', { reason: 'failures', actor: 'system' });
    await sessionOf('erin');
    await ctx.storage.auditEvents.append({ at: Date.now(), kind: 'sign_in.failure', result: 'failure', subject: 'erin', clientIp: '10.9.9.9', reason: 'invalid-credentials' });

    const res = await page('erin');
    expect(res.status).toBe(200);
    for (const text of [
      'Erin Wu 吳怡君',
      'erin@corp.example',
      '<li class="badge">sales</li>',
      'Erin’s iPhone',
      'Authenticator app',
      '2 minutes fast',
      'Chrome 131 on Windows',
      '10.1.2.3',
      'too many failed sign-in attempts',
      'Sign-in failed <code class="meta">sign_in.failure</code>',
      '10.9.9.9',
      'action="/console/users/erin/unlock"',
    ])
      expect(res.body, text).toContain(text);
    await ctx.regulator.unlock('erin', { actor: 'test' });
  });

  it('escapes what the directory holds', async () => {
    const res = await page('frank');
    expect(res.body).toContain('Frank 100%_off &quot;quoted&quot;');
    expect(res.body).not.toContain('"quoted"');
  });
});

describe('actions: each does what it says, with one audit event', () => {
  it('unlock: the lock ends', async () => {
    await h.gateway.ctx.regulator.lock('erin', { reason: 'failures', actor: 'system' });
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act('erin', 'unlock')));
    expect([res!.status, res!.headers.location]).toEqual([303, '/console/users/erin?notice=unlocked']);
    expect((await h.gateway.ctx.regulator.lockState('erin')).locked).toBe(false);
    expect(events).toMatchObject([{ kind: 'admin.unlock', actor: 'alice', subject: 'erin', details: { status: 'unlocked' } }]);
    expect((await follow(res!)).body).toContain('The account was unlocked.');
  });

  it('revoke one session: that one ends, the other stays', async () => {
    const one = await sessionOf('frank');
    const other = await sessionOf('frank', '10.4.4.4');
    const id = h.gateway.ctx.sessions.idOf(one.token)!;
    expect((await page('frank')).body).toContain(`name="session" value="${id}"`);
    const events = await eventsOf(() => act('frank', 'sessions/revoke', { session: id }));
    expect(await h.gateway.ctx.sessions.read(one.token)).toBeNull();
    expect(await h.gateway.ctx.sessions.read(other.token)).not.toBeNull();
    expect(events).toMatchObject([{ kind: 'admin.session_revoke', actor: 'alice', subject: 'frank', details: { scope: 'one', target: id } }]);
  });

  it("revoke one: another user's session id under this user's name ends nothing", async () => {
    const bobs = await sessionOf('bob');
    const id = h.gateway.ctx.sessions.idOf(bobs.token)!;
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act('frank', 'sessions/revoke', { session: id })));
    expect(res!.headers.location).toBe('/console/users/frank?notice=session_gone');
    expect(await h.gateway.ctx.sessions.read(bobs.token)).not.toBeNull();
    expect(events).toEqual([]);
  });

  it.each(['', 'x', '../../', '0'.repeat(17), "'; DROP TABLE"])('revoke one with session %j: nothing ends, no event', async (id) => {
    const live = await sessionOf('frank');
    const events = await eventsOf(() => act('frank', 'sessions/revoke', { session: id }));
    expect(await h.gateway.ctx.sessions.read(live.token)).not.toBeNull();
    expect(events).toEqual([]);
  });

  it('revoke all: every session of the user ends, nobody else’s', async () => {
    const a = await sessionOf('frank');
    const b = await sessionOf('frank');
    const bobs = await sessionOf('bob');
    const events = await eventsOf(() => act('frank', 'sessions/revoke-all'));
    expect(await h.gateway.ctx.sessions.read(a.token)).toBeNull();
    expect(await h.gateway.ctx.sessions.read(b.token)).toBeNull();
    expect(await h.gateway.ctx.sessions.read(bobs.token)).not.toBeNull();
    expect(events).toMatchObject([{ kind: 'admin.session_revoke', subject: 'frank', details: { scope: 'all' } }]);
  });

  it('disable: sign-in refused and sessions ended; enable: sign-in works again', async () => {
    const live = await sessionOf('erin');
    const disabled = await eventsOf(() => act('erin', 'disable', { reason: 'left the company' }));
    expect(disabled).toMatchObject([{ kind: 'admin.disable', actor: 'alice', subject: 'erin', reason: 'left the company' }]);
    expect(await h.gateway.ctx.sessions.read(live.token)).toBeNull();
    expect((await h.postSignIn({ username: 'erin', password: CONSOLE_USERS.erin.password })).status).not.toBe(303);
    const shown = await page('erin');
    expect(shown.body).toContain('Disabled in Gatehouse by alice');
    expect(shown.body).toContain('left the company');
    expect(shown.body).toContain('action="/console/users/erin/enable"');

    const enabled = await eventsOf(() => act('erin', 'enable'));
    expect(enabled).toMatchObject([{ kind: 'admin.enable', subject: 'erin', details: { status: 'enabled' } }]);
    expect((await h.postSignIn({ username: 'erin', password: CONSOLE_USERS.erin.password })).status).toBe(303);
  });

  it('reset factors: apps gone, sessions ended', async () => {
    const { ctx } = h.gateway;
    await ctx.storage.otpDevices.create(
      { username: 'frank', kind: 'totp', name: 'Old phone', secret: Buffer.alloc(20, 3), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const live = await sessionOf('frank');
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act('frank', 'reset-factors')));
    expect(await ctx.storage.otpDevices.listForUser('frank')).toEqual([]);
    expect(await ctx.sessions.read(live.token)).toBeNull();
    expect(events).toMatchObject([{ kind: 'admin.reset_factors', actor: 'alice', subject: 'frank' }]);
    expect((await follow(res!)).body).toContain('All second factors were removed');
  });

  it('enrollment code: shown once with its expiry and QR, not cached, and redeemable by that user only', async () => {
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act('frank', 'enrollment-code')));
    expect(res!.status).toBe(200);
    expect(res!.headers['cache-control']).toBe('no-store');
    const code = /<code class="secret">([^<]+)<\/code>/.exec(res!.body)?.[1];
    expect(code).toBeTruthy();
    expect(res!.body).toContain('src="data:image/svg+xml;base64,');
    expect(res!.body).toContain('<time datetime="');
    expect(res!.body).toContain('http://auth.localhost/methods');
    expect(events).toMatchObject([{ kind: 'admin.enrollment_issued', actor: 'alice', subject: 'frank' }]);
    expect(JSON.stringify(events)).not.toContain(code!);
    // The page of the user does not show it again.
    expect((await page('frank')).body).not.toContain(code!);
    const { storage } = h.gateway.ctx;
    expect(await redeemEnrollmentCode(storage, { username: 'bob', code: code!, now: Date.now() })).toMatchObject({ ok: false });
    expect(await redeemEnrollmentCode(storage, { username: 'frank', code: code!, now: Date.now() })).toEqual({ ok: true });
  });

  it('enrollment code for a disabled user: refused with a notice, no event', async () => {
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act('carol', 'enrollment-code')));
    expect(res!.headers.location).toBe('/console/users/carol?notice=code_user_disabled');
    expect(events).toEqual([]);
  });
});

describe('a user who does not exist', () => {
  const NAMES = ['nobody', 'Nobody', 'alice.', 'a'.repeat(300), '%3Cscript%3E', "o'brien", '%25', '_'];
  const ACTIONS = ['unlock', 'disable', 'enable', 'reset-factors', 'sessions/revoke', 'sessions/revoke-all', 'enrollment-code'];

  it.each(NAMES)('GET %s: 404 with a clear message', async (name) => {
    const res = await page(name);
    expect(res.status).toBe(404);
    expect(res.body).toContain('No user with this name is known to Gatehouse.');
  });

  it.each(NAMES.flatMap((name) => ACTIONS.map((action) => [name, action])))('POST %s/%s: 404, no event', async (name, action) => {
    let res: Awaited<ReturnType<typeof act>> | undefined;
    const events = await eventsOf(async () => (res = await act(name!, action!, { session: '0123456789abcdef' })));
    expect(res!.status).toBe(404);
    expect(res!.body).toContain('No user with this name is known to Gatehouse.');
    expect(events).toEqual([]);
  });
});

describe('sessions remember where they were signed in from', () => {
  it('a password sign-in through the portal records the address', async () => {
    const cookie = await h.signIn('bob');
    const session = await h.gateway.ctx.sessions.read(cookie.slice('gatehouse_session='.length));
    expect(session?.client?.ip).toBe('127.0.0.1');
  });
});
