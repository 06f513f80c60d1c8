import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { cookieFrom, csrfFieldOf, type TestResponse } from '../testing/http-client.js';
import { DEFAULT_HASH_POLICY } from '../directory/password-hash.js';
import { APP, PORTAL, TRUSTED_PROXY, USERS, startGatewayHarness, type GatewayHarness, type HarnessConfig } from '../testing/gateway-harness.js';
import { measurePairedGaps, settlePairedGaps } from '../testing/paired-timing.js';

/**
 * Regulation against a real Redis through the whole HTTP path: parallel attempts counted as
 * they arrive, lockout refusing right credentials, and a locked account indistinguishable from
 * an unknown one and from a wrong password.
 */

/** A ban after 5 failed attempts at one account; a lockout after 60 of any kind. */
const tightRegulation = (c: HarnessConfig) => {
  // Every test here posts from one address: let its lane of the hash queue hold a whole burst.
  c.authentication.password_checks = { per_address: 100 };
  c.regulation = {
    account: { max_retries: 5, find_time: '10m', ban_time: '15m' },
    address: { max_retries: 1000, find_time: '10m', ban_time: '15m' },
    lockout: { max_failures: 60, find_time: '24h', duration: '1h' },
  };
};
/**
 * Largest timing gap allowed between answers that must look alike, as a fraction of a sign-in's
 * median duration. Skipping the hash would show as about -0.9.
 */
const MAX_GAP = 0.25;

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ configure: tightRegulation });
});
afterAll(() => h?.close());

const regulator = () => h.gateway.ctx.regulator;
const SECRET = Buffer.alloc(20, 7);
const code = (at = Date.now()) => generateTotp(SECRET, at, { period: 30, digits: 6, algorithm: 'SHA1' });

/** The sign-in page's answer with what legitimately differs between two posts taken out. */
function normalized(res: TestResponse, username: string): string {
  return res.body
    .replaceAll(username, '<username>')
    .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="<csrf>"')
    .replace(/nonce-[A-Za-z0-9+/=_-]+/g, 'nonce-<n>');
}

async function postSecondFactor(cookie: string, fields: Record<string, string>) {
  return h.request({
    method: 'POST',
    path: '/second-factor',
    host: PORTAL,
    headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

async function sessionCsrf(cookie: string): Promise<string> {
  const page = await h.request({ path: '/second-factor', host: PORTAL, headers: { cookie } });
  const csrf = csrfFieldOf(page.body);
  if (!csrf) throw new Error(`no CSRF token on the second-factor page (${page.status})`);
  return csrf;
}

describe('regulation through the gateway', () => {
  it('of 50 parallel wrong passwords, checks and counts only max_retries; all get the same answer', async () => {
    await regulator().unlock('bob', { actor: 'test' });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.postSignIn({ username: 'bob', password: `wrong-${i}` })));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    // Counted as they arrived: the sixth and later were refused (after their hash, like any locked or banned attempt), not checked.
    expect((await regulator().lockState('bob')).recentFailures).toBe(5);
    await h.gateway.ctx.audit.flush();
    const reasons = (await h.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'sign_in.failure', limit: 100 })).map((e) => e.reason);
    expect(reasons.filter((r) => r === 'wrong-password')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'throttled')).toHaveLength(45);
    // Past max_retries, even the right password is refused with the same answer.
    const right = await h.postSignIn({ username: 'bob', password: USERS.bob.password });
    expect(right.status).toBe(401);
    expect(cookieFrom(right, 'gatehouse_session')).toBeUndefined();
    await regulator().unlock('bob', { actor: 'test' });
    expect((await h.postSignIn({ username: 'bob', password: USERS.bob.password })).status).toBe(303);
  }, 180_000);

  it('counts parallel wrong one-time codes after a fresh challenge, and a new page never resets them', async () => {
    await regulator().unlock('alice', { actor: 'test' });
    const device = await h.gateway.ctx.storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'phone', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const cookie = await h.signIn('alice');
    const csrf = await sessionCsrf(cookie);
    const wrong = (i: number) => String((Number(code()) + 1 + i) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => postSecondFactor(cookie, { csrf, device: device.id, code: wrong(i) })));
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    // Counted as they arrived: exactly max_retries codes were checked (401), the rest refused unchecked (429).
    const checked = answers.filter((a) => a.status === 401).length;
    expect(checked).toBe(5);
    expect((await regulator().lockState('alice')).recentFailures).toBe(checked);
    // Asking for the page again (a "new challenge") changes nothing: the right code is still refused.
    await sessionCsrf(cookie);
    const right = await postSecondFactor(cookie, { csrf, device: device.id, code: code() });
    expect(right.status).toBe(429);
    expect((await regulator().lockState('alice')).recentFailures).toBe(checked);
    // The OTP ban does not touch the password, which has its own counter.
    expect((await h.postSignIn({ username: 'alice', password: USERS.alice.password })).status).toBe(303);
    await regulator().unlock('alice', { actor: 'test' });
    await h.gateway.ctx.storage.otpDevices.remove(device.id);
  }, 180_000);

  it('a locked account refuses the right password and the right code, and its sessions are gone', async () => {
    const device = await h.gateway.ctx.storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'phone 2', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const cookie = await h.signIn('alice');
    const csrf = await sessionCsrf(cookie);
    await regulator().lock('alice', { reason: 'admin', actor: 'test' });
    // The session that existed before the lock no longer reaches the app.
    expect((await h.request({ path: '/', host: APP, headers: { cookie } })).status).toBe(302);
    const withCode = await postSecondFactor(cookie, { csrf, device: device.id, code: code() });
    expect(withCode.status).not.toBe(200);
    expect(cookieFrom(withCode, 'gatehouse_session')).toBeUndefined();
    const right = await h.postSignIn({ username: 'alice', password: USERS.alice.password });
    expect(right.status).toBe(401);
    const events = await h.gateway.ctx.storage.auditEvents.query({ subject: 'alice', kind: 'lockout', limit: 5 });
    expect(events[0]).toMatchObject({ kind: 'lockout', actor: 'test', reason: 'admin' });
    await regulator().unlock('alice', { actor: 'test' });
    expect((await h.postSignIn({ username: 'alice', password: USERS.alice.password })).status).toBe(303);
    await h.gateway.ctx.storage.otpDevices.remove(device.id);
  });

  it('reaching the account-wide cap locks the account once, with one lockout event, whatever the kinds', async () => {
    await regulator().unlock('bob', { actor: 'test' });
    const before = (await h.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'lockout', limit: 100 })).length;
    await Promise.all(Array.from({ length: 70 }, (_, i) => regulator().recordFailure({ username: 'bob', kind: i % 2 ? 'otp' : 'recovery_code', ip: '10.1.1.1' })));
    expect(await regulator().isLocked('bob')).toBe(true);
    const after = await h.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'lockout', limit: 100 });
    expect(after.length - before).toBe(1);
    const metrics = await h.request({ path: '/metrics', host: PORTAL });
    expect(metrics.body).toMatch(/gatehouse_regulation_events_total\{event="lockout",factor="any"\} [1-9]/);
    expect(metrics.body).toMatch(/gatehouse_regulation_events_total\{event="account_ban",factor="(otp|recovery_code)"\} 1/);
    await regulator().unlock('bob', { actor: 'test' });
  });

  it('unknown, locked and wrong-password answers are identical in status and body', async () => {
    await regulator().lock('alice', { reason: 'admin', actor: 'test' });
    const locked = await h.postSignIn({ username: 'alice', password: USERS.alice.password });
    const lockedWrong = await h.postSignIn({ username: 'alice', password: 'not-it' });
    await regulator().unlock('alice', { actor: 'test' });
    const wrong = await h.postSignIn({ username: 'alice', password: 'not-it-either' });
    const unknown = await h.postSignIn({ username: 'zed-nobody', password: 'whatever' });
    const disabled = await h.postSignIn({ username: 'carol', password: USERS.carol.password });
    for (const res of [locked, lockedWrong, wrong, unknown, disabled]) expect(res.status).toBe(401);
    const reference = normalized(wrong, 'alice');
    expect(normalized(locked, 'alice')).toBe(reference);
    expect(normalized(lockedWrong, 'alice')).toBe(reference);
    expect(normalized(unknown, 'zed-nobody')).toBe(reference);
    expect(normalized(disabled, 'carol')).toBe(reference);
    expect(reference).toContain('too many attempts');
    await regulator().unlock('alice', { actor: 'test' });
  });

  it('unknown, locked and wrong-password answers take the same time (paired gaps under a quarter of a sign-in)', async () => {
    // At the product's own hash cost: argon2 must outweigh the rest of a sign-in for a path that
    // skips it to stand out. Its own gateway, so the cheap hashes of the others are not involved.
    const timing = await startGatewayHarness({ configure: tightRegulation, hashPolicy: DEFAULT_HASH_POLICY });
    try {
      const regulator = timing.gateway.ctx.regulator;
      await regulator.lock('bob', { reason: 'admin', actor: 'test' });
      const refused = (username: string, password: string) => async () => {
        expect((await timing.postSignIn({ username, password })).status).toBe(401);
      };
      let unknown = 0;
      const batches = await settlePairedGaps(
        async () => {
          // Her failures add up towards the account-wide cap; start each batch from zero.
          await regulator.unlock('alice', { actor: 'test' });
          return measurePairedGaps(
            refused('alice', 'wrong-password'),
            { locked: refused('bob', USERS.bob.password), unknown: () => refused(`nobody-${unknown++}`, 'some-password')() },
            {
              rounds: 16,
              // Alice stays under her ban: a success resets her password counter.
              afterRound: async (round) => {
                if (round % 3 === 2) expect((await timing.postSignIn({ username: 'alice', password: USERS.alice.password })).status).toBe(303);
              },
            },
          );
        },
        MAX_GAP,
        5,
      );
      for (const batch of batches) expect(batch.referenceMedianMs, 'argon2 ran').toBeGreaterThan(20);
      const last = batches.at(-1)!;
      expect(Math.abs(last.gaps.locked!), JSON.stringify(batches)).toBeLessThan(MAX_GAP);
      expect(Math.abs(last.gaps.unknown!), JSON.stringify(batches)).toBeLessThan(MAX_GAP);
    } finally {
      await timing.close();
    }
  }, 600_000);

  it('counts per client address: the real peer, or the first untrusted X-Forwarded-For hop from a trusted proxy', async () => {
    const strict = await startGatewayHarness({
      configure: (c) => {
        c.regulation.address = { max_retries: 4, find_time: '10m', ban_time: '15m' };
      },
    });
    try {
      const post = async (username: string, headers: Record<string, string>, localAddress?: string, password = 'wrong') => {
        const { csrfCookie, csrfToken } = await strict.signInForm();
        return strict.request({
          method: 'POST',
          path: '/login',
          host: PORTAL,
          localAddress,
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_csrf=${csrfCookie}`, origin: `http://${PORTAL}`, ...headers },
          body: new URLSearchParams({ csrf: csrfToken, username, password }).toString(),
        });
      };
      // A client that is not a proxy cannot pick its address: a spoofed header is ignored.
      for (let i = 0; i < 4; i++) expect((await post(`spoof${i}`, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(401);
      const banned = await post('someone', { 'x-forwarded-for': '198.51.100.200' });
      expect(banned.status).toBe(429);
      expect(banned.body).toContain('Too many attempts from your network');
      // Through the registered proxy, each forwarded client has its own counter.
      for (let i = 0; i < 4; i++) expect((await post(`via${i}`, { 'x-forwarded-for': '203.0.113.5' }, TRUSTED_PROXY)).status).toBe(401);
      expect((await post('next', { 'x-forwarded-for': '203.0.113.5' }, TRUSTED_PROXY)).status).toBe(429);
      // From a banned address a locked account answers as an open one does: the ban does not
      // list which accounts are locked. The failures that started the ban slide out of the
      // window (10 min) before it ends (15 min); here they are taken out at once: it then
      // answered 401 for a locked account, 429 for the others.
      await strict.gateway.ctx.regulator.lock('bob', { reason: 'admin', actor: 'test' });
      await strict.gateway.ctx.kv.del('reg:addr:203.0.113.5');
      const fromBanned = await Promise.all(['bob', 'alice', 'nobody'].map((u) => post(u, { 'x-forwarded-for': '203.0.113.5' }, TRUSTED_PROXY)));
      expect(fromBanned.map((r) => r.status)).toEqual([429, 429, 429]);
      expect(normalized(fromBanned[0]!, 'bob')).toBe(normalized(fromBanned[1]!, 'alice'));
      expect((await post('other', { 'x-forwarded-for': '203.0.113.6' }, TRUSTED_PROXY)).status).toBe(401);
      // An address ban says nothing about accounts: the right password from elsewhere works.
      expect((await post('alice', { 'x-forwarded-for': '203.0.113.7' }, TRUSTED_PROXY, USERS.alice.password)).status).toBe(303);
    } finally {
      await strict.close();
    }
  }, 180_000);
});
