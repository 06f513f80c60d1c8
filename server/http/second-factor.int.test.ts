import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32 } from '../factors/otp/base32.js';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { createMovableClock } from '../core/clock.js';
import { issueEnrollmentCode } from '../enrollment/enrollment-codes.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { APP, PORTAL, browser, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

let h: GatewayHarness;
/** The gateway's time: moved forward instead of waited for (a new TOTP step, a factor grown stale). */
const clock = createMovableClock();
beforeAll(async () => {
  h = await startGatewayHarness({
    clock,
    configure: (c) => {
      c.access_control.rules.unshift({ domain: APP, resources: ['/fresh/.*'], policy: 'two_factor', max_auth_age: '2s' } as never);
      c.regulation.account.max_retries = 10;
    },
  });
});
afterAll(() => h?.close());

const SECURE = `http://${APP}/secure/vault`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const client = (cookie: string) => browser(h, cookie);

function secretFrom(html: string): Buffer {
  const block = /<code[^>]*id="totp-secret"[^>]*>(.*?)<\/code>/s.exec(html)?.[1] ?? '';
  const groups = block.replace(/<[^>]+>/g, '').replace(/\s/g, '');
  const secret = decodeBase32(groups);
  if (!secret) throw new Error('no secret on the enrollment page');
  return secret;
}

const totp = (secret: Buffer, at = clock.now()) => generateTotp(secret, at, { period: 30, digits: 6, algorithm: 'SHA1' });

describe('second factor: enrollment, sign-in, replay, step-up', () => {
  let secret: Buffer;
  let recoveryCodes: string[] = [];

  it('a password-only session is sent to the second step, which has nothing to offer yet', async () => {
    const alice = client(await h.signIn('alice'));
    expect((await alice.get('/secure/vault', APP)).status).toBe(302);
    const page = await alice.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('/methods');
  });

  it('a stolen password alone cannot enroll: the methods page is a gate, and posts are refused', async () => {
    const alice = client(await h.signIn('alice'));
    const gate = await alice.get('/methods');
    expect(gate.status).toBe(200);
    const csrf = csrfFieldOf(gate.body)!;
    expect(gate.body).not.toMatch(/methods\/totp\/start/);
    const start = await alice.post('/methods/totp/start', { csrf, name: 'Attacker phone' });
    expect(start.status).toBe(403);
    expect(await h.gateway.ctx.storage.otpDevices.listForUser('alice')).toEqual([]);
  });

  it('an enrollment code from the IT desk opens the gate once; a used or wrong code says so', async () => {
    const alice = client(await h.signIn('alice'));
    const { code } = await issueEnrollmentCode(h.gateway.ctx.storage, { username: 'alice', method: 'admin', ttlSeconds: 3600, issuedBy: 'test', now: clock.now() });
    const csrf = csrfFieldOf((await alice.get('/methods')).body)!;
    const wrong = await alice.post('/enroll/code', { csrf, code: 'AAAAA-AAAAA' });
    expect(wrong.status).toBe(400);
    const ok = await alice.post('/enroll/code', { csrf, code });
    expect(ok.status).toBe(303);
    const methods = await alice.get('/methods');
    expect(methods.body).toMatch(/methods\/totp\/start/);

    const bob = client(await h.signIn('bob'));
    const bobCsrf = csrfFieldOf((await bob.get('/methods')).body)!;
    const reused = await bob.post('/enroll/code', { csrf: bobCsrf, code });
    expect(reused.status).toBe(400); // alice's code is no code for bob

    // Enroll: QR page, wrong code first, then the right one; recovery codes shown once.
    const csrf2 = csrfFieldOf(methods.body)!;
    const enroll = await alice.post('/methods/totp/start', { csrf: csrf2, name: 'My phone' });
    expect(enroll.status).toBe(200);
    expect(enroll.body).toContain('data:image/svg+xml;base64,');
    secret = secretFrom(enroll.body);
    const device = /name="device" value="([^"]+)"/.exec(enroll.body)![1]!;
    const bad = await alice.post('/methods/totp/confirm', { csrf: csrfFieldOf(enroll.body)!, device, code: '000000' });
    expect(bad.status).toBe(400);
    const done = await alice.post('/methods/totp/confirm', { csrf: csrfFieldOf(bad.body)!, device, code: totp(secret) });
    expect(done.status).toBe(200);
    const codes = [...done.body.matchAll(/[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/g)].map((m) => m[0]);
    expect(new Set(codes).size).toBe(10);
    recoveryCodes = codes;
    // Enrolling proved possession: this session now passes the two_factor rule.
    expect((await alice.get('/secure/vault', APP)).status).toBe(200);
  });

  it('a new sign-in asks for the code, accepts it once, and refuses the replay', async () => {
    const first = client(await h.signIn('alice'));
    expect((await first.get('/secure/vault', APP)).status).toBe(302);
    const page = await first.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`);
    expect(page.body).toContain('My phone');
    const device = /name="device"[^>]*value="([^"]+)"/.exec(page.body)?.[1] ?? /value="([^"]+)"[^>]*name="device"/.exec(page.body)![1]!;
    const before = first.cookie;
    // A step later on the gateway's clock, so the code is not the one used at enrollment.
    clock.advance(30_000);
    const code = totp(secret);
    const ok = await first.post('/second-factor', { csrf: csrfFieldOf(page.body)!, rd: SECURE, device, code });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(SECURE);
    expect(first.cookie).not.toBe(before); // id rotated at the second step
    expect((await h.request({ path: '/secure/vault', host: APP, headers: { cookie: before } })).status).toBe(302);
    expect((await first.get('/secure/vault', APP)).status).toBe(200);

    const second = client(await h.signIn('alice'));
    const page2 = await second.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`);
    const replay = await second.post('/second-factor', { csrf: csrfFieldOf(page2.body)!, rd: SECURE, device, code });
    expect(replay.status).toBe(401);
    expect((await second.get('/secure/vault', APP)).status).toBe(302);
  });

  it('a step-up rule with max_auth_age asks again once the factor is stale; recovery codes work once', async () => {
    const FRESH = `http://${APP}/fresh/x`;
    const alice = client(await h.signIn('alice'));
    const wrong = await alice.post('/second-factor', {
      csrf: csrfFieldOf((await alice.get(`/second-factor?rd=${encodeURIComponent(FRESH)}`)).body)!,
      rd: FRESH,
      device: 'recovery',
      code: 'ZZZZ-ZZZZ-ZZZZ',
    });
    expect(wrong.status).toBe(401);
    const page = await alice.get(`/second-factor?rd=${encodeURIComponent(FRESH)}`);
    const ok = await alice.post('/second-factor', { csrf: csrfFieldOf(page.body)!, rd: FRESH, device: 'recovery', code: recoveryCodes[0]! });
    expect(ok.status).toBe(303);
    expect((await alice.get('/fresh/x', APP)).status).toBe(200);
    // Past the rule's max_auth_age of 2 s on the gateway's clock.
    clock.advance(2100);
    const stale = await alice.get('/fresh/x', APP);
    expect(stale.status).toBe(302);
    const again = await alice.get(`/second-factor?rd=${encodeURIComponent(FRESH)}`);
    expect(again.status).toBe(200);
    const reused = await alice.post('/second-factor', { csrf: csrfFieldOf(again.body)!, rd: FRESH, device: 'recovery', code: recoveryCodes[0]! });
    expect(reused.status).toBe(401);
    const next = await alice.post('/second-factor', { csrf: csrfFieldOf(reused.body)!, rd: FRESH, device: 'recovery', code: recoveryCodes[1]! });
    expect(next.status).toBe(303);
    expect((await alice.get('/fresh/x', APP)).status).toBe(200);
  });

  it('refuses a second-factor post without the session’s CSRF token or from another origin', async () => {
    const alice = client(await h.signIn('alice'));
    const res = await alice.post('/second-factor', { csrf: 'forged', device: 'x', code: '123456' });
    expect(res.status).toBe(403);
    const foreign = await h.request({
      method: 'POST',
      path: '/second-factor',
      host: PORTAL,
      headers: { cookie: alice.cookie, origin: `http://${APP}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: 'x', code: '1' }),
    });
    expect(foreign.status).toBe(403);
  });

  it('stops guessing after the failure budget, even with a right code', async () => {
    const bob = client(await h.signIn('bob'));
    const { code } = await issueEnrollmentCode(h.gateway.ctx.storage, { username: 'bob', method: 'admin', ttlSeconds: 3600, issuedBy: 'test', now: clock.now() });
    let csrf = csrfFieldOf((await bob.get('/methods')).body)!;
    for (let i = 0; i < 10; i++) {
      const res = await bob.post('/enroll/code', { csrf, code: `AAAAA-AAAA${i}` });
      csrf = csrfFieldOf(res.body) ?? csrf;
    }
    const blocked = await bob.post('/enroll/code', { csrf, code });
    expect(blocked.status).toBe(429);
  });
});

describe('the second step names each code device for what it is, and leads with the kind used last', () => {
  const newDevice = (fields: { kind: 'totp' | 'hotp'; name: string; serial: string | null; digits: 6 | 8 }) =>
    h.gateway.ctx.storage.otpDevices.create({ username: 'bob', secret: randomBytes(20), algorithm: 'SHA1', period: 30, confirmed: true, ...fields }, Date.now());

  it("a phone's offline codes (named after the phone), an imported TOTP token, an HOTP token and an app", async () => {
    const storage = h.gateway.ctx.storage;
    const phoneCodes = await newDevice({ kind: 'totp', name: 'name given at enrollment', serial: null, digits: 6 });
    await storage.pushDevices.create({ username: 'bob', name: 'Pixel 9', publicKey: randomBytes(91), subscription: null, otpDeviceId: phoneCodes.id }, Date.now());
    const totpToken = await newDevice({ kind: 'totp', name: 'Desk token', serial: 'TT-0042', digits: 8 });
    await newDevice({ kind: 'hotp', name: 'Key fob', serial: 'HT-0007', digits: 6 });
    await newDevice({ kind: 'totp', name: 'iPhone', serial: null, digits: 6 });

    const bob = client(await h.signIn('bob'));
    const page = (await bob.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`)).body;
    const meta = (name: string) => new RegExp(`<span class="option-name">${name}</span> <span class="meta">([^<·]*) ·`).exec(page)?.[1];
    expect(meta('Pixel 9')).toBe('Codes from the Gatehouse app');
    expect(meta('Desk token')).toBe('Hardware token (TOTP), serial TT-0042');
    expect(meta('Key fob')).toBe('Hardware token (HOTP), serial HT-0007');
    expect(meta('iPhone')).toBe('Authenticator app');
    expect(page).not.toContain('name given at enrollment');
    // 6- and 8-digit devices on one form: the hint cannot name one count.
    expect(page).toContain('The 6 or 8 digits your app or token shows now.');

    // The token was used last: the code form leads, with that token chosen and the field focused.
    await storage.userState.setLastUsed('bob', 'totp', totpToken.id);
    const again = (await bob.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`)).body;
    expect(again).toMatch(new RegExp(`<input id="device-\\d" type="radio" name="device" value="${totpToken.id}" required checked>`));
    expect(/<input id="code"[^>]*>/.exec(again)?.[0]).toContain(' autofocus');
  });
});
