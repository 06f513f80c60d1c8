import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { canonicalRecoveryCode, hashRecoveryCode } from '../factors/recovery/recovery-codes.js';
import { createSoftAuthenticator } from '../factors/webauthn/testing/soft-authenticator.js';
import { enrollPhone, startPushHarness } from '../factors/push/testing/push-harness.js';
import { browser, PORTAL, type Browser, type GatewayHarness } from '../testing/gateway-harness.js';
import { csrfFieldOf } from '../testing/http-client.js';

/**
 * Recovery codes on "My sign-in methods": asked before unused ones are thrown away, said plainly
 * afterwards, and shown once after the first second factor of any kind — an authenticator app,
 * a passkey or a phone.
 */

let h: GatewayHarness;
beforeAll(async () => {
  // From 127.0.0.0/8 a user with no factor may add their first one right after the password, as in the demo.
  h = await startPushHarness({}, (c) => Object.assign(c, { enrollment: { trusted_networks: ['127.0.0.0/8'] } }));
});
afterAll(() => h?.close());

const CODE = /<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<\/code><\/li>/g;
const codesOn = (body: string) => [...body.matchAll(CODE)].map((m) => m[1]!);
const continueHref = (body: string) => /<a class="button button-primary" href="([^"]*)">I have saved them/.exec(body)?.[1]?.replaceAll('&#61;', '=');
const storedHashes = async (username: string) => (await h.gateway.ctx.storage.recoveryCodes.listForUser(username)).map((c) => c.codeHash).sort();
const noticeOf = (body: string) => /<div class="notice notice-success" role="status"><p>([^<]*)<\/p><\/div>/.exec(body)?.[1];

/** A user of the harness's users file with factors wiped, signed in with a fresh TOTP factor (a device of their own). */
async function userWithFreshApp(username: 'alice' | 'bob') {
  await wipe(username);
  const device = await h.gateway.ctx.storage.otpDevices.create(
    { username, kind: 'totp', name: 'Phone', secret: randomBytes(20), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
    Date.now(),
  );
  return withFactor(username, { kind: 'totp', at: Date.now(), device: device.id });
}

async function withFactor(username: string, factor: { kind: 'totp' | 'push' | 'webauthn'; at: number; device: string }): Promise<Browser> {
  const cookie = await h.signIn(username);
  const rotated = await h.gateway.ctx.sessions.rotate(cookie.slice('gatehouse_session='.length), (s) => ({ ...s, factors: [...s.factors, factor] }));
  return browser(h, `gatehouse_session=${rotated!.token}`);
}

async function wipe(username: string) {
  const { storage } = h.gateway.ctx;
  for (const d of await storage.otpDevices.listForUser(username)) await storage.otpDevices.remove(d.id);
  for (const p of await storage.pushDevices.listForUser(username)) await h.gateway.ctx.push!.factor.remove(username, p.id);
  for (const c of await h.gateway.ctx.webauthn.listCredentials(username)) await h.gateway.ctx.webauthn.removeCredential(username, c.id);
  await storage.recoveryCodes.replaceSet(username, [], Date.now());
  await h.gateway.ctx.kv.del(`recovery:owed:${username}`);
}

/** "Create (new) recovery codes" on the methods page, as the browser posts it. */
async function pressCreate(user: Browser) {
  const page = await user.get('/methods');
  expect(page.body).toContain('action="/methods/recovery-codes"');
  return user.post('/methods/recovery-codes', { csrf: csrfFieldOf(page.body)! });
}

async function unusedVerify(username: string, code: string) {
  return h.gateway.ctx.factors.recovery_code.verify({ username, response: code, now: Date.now() });
}

describe('creating recovery codes by hand', () => {
  it('with none yet: made at once, no word of old codes, then "Your recovery codes were created."', async () => {
    const alice = await userWithFreshApp('alice');
    const shown = await pressCreate(alice);
    expect(shown.status).toBe(200);
    expect(codesOn(shown.body)).toHaveLength(10);
    expect(shown.body).not.toMatch(/no longer work/);
    expect(continueHref(shown.body)).toBe('/methods?notice=codes_created');
    const methods = await alice.get(continueHref(shown.body)!);
    expect(noticeOf(methods.body)).toBe('Your recovery codes were created. Keep them somewhere safe.');
    expect(methods.body).not.toContain('authenticator app was added');
  });

  it('with unused codes: asks first and changes nothing; once confirmed, says the old ones stopped working', async () => {
    const alice = await userWithFreshApp('alice');
    const first = codesOn((await pressCreate(alice)).body);
    const before = await storedHashes('alice');

    const asked = await pressCreate(alice);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('<h1 id="page-heading">Create new recovery codes?</h1>');
    expect(asked.body).toContain('You have 10 unused recovery codes. They all stop working as soon as new codes are created.');
    expect(codesOn(asked.body)).toEqual([]);
    expect(await storedHashes('alice')).toEqual(before);
    expect(asked.body).toContain('<a class="button button-secondary" href="/methods">Keep my current codes</a>');

    const made = await alice.post('/methods/recovery-codes', { csrf: csrfFieldOf(asked.body)!, confirm: '1' });
    const second = codesOn(made.body);
    expect(second).toHaveLength(10);
    expect(made.body).toContain('Your previous recovery codes no longer work.');
    expect(continueHref(made.body)).toBe('/methods?notice=codes_regenerated');
    expect(noticeOf((await alice.get(continueHref(made.body)!)).body)).toBe('New recovery codes were created. Your old codes no longer work.');
    expect((await unusedVerify('alice', first[0]!)).ok).toBe(false);
    expect((await unusedVerify('alice', second[0]!)).ok).toBe(true);
    // Both sets are in the audit log, the second as a replacement of unused codes.
    const issued = async () => (await h.gateway.ctx.storage.auditEvents.query({ kind: 'recovery_codes.issued', subject: 'alice', limit: 2 })).map((e) => e.details);
    await expect.poll(issued).toEqual([expect.objectContaining({ count: 10, replaced: true }), expect.objectContaining({ count: 10, replaced: false })]);
  });

  it('counts one unused code left as unused codes: asks, in the singular', async () => {
    const alice = await userWithFreshApp('alice');
    const codes = codesOn((await pressCreate(alice)).body);
    for (const code of codes.slice(1)) expect((await unusedVerify('alice', code)).ok).toBe(true);
    expect((await pressCreate(alice)).body).toContain('You have 1 unused recovery code. It stops working');
  });

  it('with every old code used: nothing to lose, so no question and no word of old codes', async () => {
    const alice = await userWithFreshApp('alice');
    for (const code of codesOn((await pressCreate(alice)).body)) expect((await unusedVerify('alice', code)).ok).toBe(true);
    const shown = await pressCreate(alice);
    expect(codesOn(shown.body)).toHaveLength(10);
    expect(shown.body).not.toMatch(/no longer work|Create new recovery codes\?/);
    expect(continueHref(shown.body)).toBe('/methods?notice=codes_created');
  });

  it.each([
    ['a wrong CSRF token', (csrf: string) => ({ confirm: '1', csrf: csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })],
    ['an empty CSRF token', () => ({ confirm: '1', csrf: '' })],
    ['no token field at all', () => ({ confirm: '1' })],
  ])('a confirmation with %s replaces nothing', async (_name, fields) => {
    const alice = await userWithFreshApp('alice');
    await pressCreate(alice);
    const before = await storedHashes('alice');
    const csrf = csrfFieldOf((await alice.get('/methods')).body)!;
    const res = await alice.post('/methods/recovery-codes', fields(csrf) as Record<string, string>);
    expect(res.status).toBe(403);
    expect(codesOn(res.body)).toEqual([]);
    expect(await storedHashes('alice')).toEqual(before);
  });

  it('a session whose second factor is stale cannot confirm either: sent to confirm it is them, codes kept', async () => {
    const alice = await userWithFreshApp('alice');
    await pressCreate(alice);
    const before = await storedHashes('alice');
    const device = (await h.gateway.ctx.storage.otpDevices.listForUser('alice'))[0]!;
    const stale = await withFactor('alice', { kind: 'totp', at: Date.now() - 60 * 60_000, device: device.id });
    const csrf = csrfFieldOf((await stale.get('/')).body)!;
    const res = await stale.post('/methods/recovery-codes', { csrf, confirm: '1' });
    expect([res.status, res.headers.location]).toEqual([303, '/methods?notice=needs_fresh_factor']);
    expect(await storedHashes('alice')).toEqual(before);
  });
});

describe('the first second factor of any kind comes with recovery codes, once', () => {
  it('an authenticator app: shown on confirming it, then "Your authenticator app was added."', async () => {
    await wipe('bob');
    const bob = browser(h, await h.signIn('bob'));
    const start = await bob.post('/methods/totp/start', { csrf: csrfFieldOf((await bob.get('/methods')).body)!, name: 'Phone' });
    const device = /name="device" value="([^"]+)"/.exec(start.body)![1]!;
    const secret = (await h.gateway.ctx.storage.otpDevices.get(device))!.secret;
    const shown = await bob.post('/methods/totp/confirm', {
      csrf: csrfFieldOf(start.body)!,
      device,
      code: generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }),
    });
    expect(codesOn(shown.body)).toHaveLength(10);
    expect(shown.body).not.toMatch(/no longer work/);
    expect(noticeOf((await bob.get(continueHref(shown.body)!)).body)).toBe('Your authenticator app was added.');
  });

  it('a passkey: the registration answer leads to the codes, once; a second passkey does not', async () => {
    await wipe('bob');
    const bob = browser(h, await h.signIn('bob'));
    const authenticator = createSoftAuthenticator({ origin: `http://${PORTAL}` });
    const first = await registerPasskey(bob, authenticator, 'Laptop');
    expect(first).toEqual({ ok: true, redirect: '/methods/recovery-codes/new' });

    const shown = await bob.get(first.redirect);
    expect(shown.status).toBe(200);
    const codes = codesOn(shown.body);
    expect(codes).toHaveLength(10);
    expect(shown.body).not.toMatch(/no longer work/);
    expect((await storedHashes('bob')).length).toBe(10);
    expect(await storedHashes('bob')).toEqual(codes.map((c) => hashRecoveryCode(canonicalRecoveryCode(c)!)).sort());
    expect(continueHref(shown.body)).toBe('/methods?notice=webauthn_added');
    const methods = await bob.get(continueHref(shown.body)!);
    expect(noticeOf(methods.body)).toBe('Your passkey or security key was added.');

    // Once: a reload or a second tab finds nothing more, and the codes stay as shown.
    const again = await bob.get('/methods/recovery-codes/new');
    expect([again.status, again.headers.location]).toEqual([303, '/methods']);
    expect(await storedHashes('bob')).toEqual(codes.map((c) => hashRecoveryCode(canonicalRecoveryCode(c)!)).sort());

    const second = await registerPasskey(bob, authenticator, 'Key');
    expect(second).toEqual({ ok: true, redirect: '/methods?notice=webauthn_added' });
  });

  it('a phone: enrolled from the phone, the codes wait for the portal page that may show them', async () => {
    await wipe('bob');
    const bob = browser(h, await h.signIn('bob'));
    expect((await bob.get('/methods')).body).toContain('methods/push/add');
    const phone = await enrollPhone(h, 'bob');
    // The phone is a factor now; this session never used it: the page is locked, nothing is shown yet.
    const locked = await bob.get('/methods');
    expect(locked.status).toBe(200);
    expect(codesOn(locked.body)).toEqual([]);
    expect(await storedHashes('bob')).toEqual([]);

    const confirmed = await withFactor('bob', { kind: 'push', at: Date.now(), device: phone.deviceId! });
    const methods = await confirmed.get('/methods');
    expect([methods.status, methods.headers.location]).toEqual([303, '/methods/recovery-codes/new']);
    const shown = await confirmed.get('/methods/recovery-codes/new');
    expect(codesOn(shown.body)).toHaveLength(10);
    expect(continueHref(shown.body)).toBe('/methods?notice=push_added');
    const after = await confirmed.get(continueHref(shown.body)!);
    expect(after.status).toBe(200);
    expect(noticeOf(after.body)).toBe('Your phone was added.');

    // A second phone owes nothing.
    await enrollPhone(h, 'bob', { name: 'Tablet' });
    expect((await confirmed.get('/methods')).status).toBe(200);
  });

  it('a phone added by a user who already has an app owes nothing', async () => {
    const alice = await userWithFreshApp('alice');
    await enrollPhone(h, 'alice');
    const page = await alice.get('/methods');
    expect(page.status).toBe(200);
    expect(await storedHashes('alice')).toEqual([]);
  });

  it('owed codes are never shown over codes made meanwhile, nor once the factor that earned them is gone', async () => {
    await wipe('bob');
    const phone = await enrollPhone(h, 'bob');
    const confirmed = await withFactor('bob', { kind: 'push', at: Date.now(), device: phone.deviceId! });
    const made = await confirmed.post('/methods/recovery-codes', { csrf: csrfFieldOf((await confirmed.get('/')).body)! });
    expect(codesOn(made.body)).toHaveLength(10);
    const before = await storedHashes('bob');
    const methods = await confirmed.get('/methods');
    expect(methods.status).toBe(200);
    const direct = await confirmed.get('/methods/recovery-codes/new');
    expect([direct.status, direct.headers.location]).toEqual([303, '/methods?notice=push_added']);
    expect(await storedHashes('bob')).toEqual(before);

    // The administrator reset the phone away before the user came back: codes alone are no factor.
    await wipe('bob');
    await h.gateway.ctx.kv.set('recovery:owed:bob', 'push', 3600);
    const fresh = browser(h, await h.signIn('bob'));
    expect((await fresh.get('/methods')).status).toBe(200);
    expect((await fresh.get('/methods/recovery-codes/new')).status).toBe(303);
    expect(await storedHashes('bob')).toEqual([]);
  });

  it('a session that may not change factors is sent to the methods page and the owed codes wait', async () => {
    await wipe('bob');
    await h.signIn('bob');
    const phone = await enrollPhone(h, 'bob');
    const stale = await withFactor('bob', { kind: 'push', at: Date.now() - 60 * 60_000, device: phone.deviceId! });
    const res = await stale.get('/methods/recovery-codes/new');
    expect([res.status, res.headers.location]).toEqual([303, '/methods']);
    expect(await storedHashes('bob')).toEqual([]);
    expect(await h.gateway.ctx.kv.get('recovery:owed:bob')).toBe('push');
  });
});

async function registerPasskey(user: Browser, authenticator: ReturnType<typeof createSoftAuthenticator>, name: string) {
  const csrf = csrfFieldOf((await user.get('/')).body)!;
  const { options } = JSON.parse((await user.json('/api/webauthn/register/options', {}, csrf)).body);
  return JSON.parse((await user.json('/api/webauthn/register/verify', { name, response: authenticator.register(options) }, csrf)).body);
}
