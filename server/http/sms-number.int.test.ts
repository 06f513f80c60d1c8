import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { APP, browser, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { codeFromText, startSmsProvider, type SmsProvider } from '../testing/sms-provider.js';

let h: GatewayHarness;
let provider: SmsProvider;
const clock = createFixedClock(Date.now());
const SID = `AC${'d4'.repeat(16)}`;
const PASSWORD = 'alice-correct-horse';
/** Users without a directory number (they may add their own), and one with it (dirk). */
const USERS = ['nina', 'omar', 'pia', 'quinn', 'rosa', 'dirk'];

beforeAll(async () => {
  provider = await startSmsProvider();
  h = await startGatewayHarness({
    clock,
    configure: (c) => {
      const file = c.authentication.users_file!;
      const doc = parse(readFileSync(file, 'utf8')) as { users: Record<string, Record<string, unknown>> };
      for (const name of USERS) doc.users[name] = { ...doc.users.alice, displayname: name, email: `${name}@corp.example` };
      doc.users.dirk!.mobile = '0912 000 111';
      writeFileSync(file, stringify(doc));
      (c as Record<string, any>).second_factors = {
        sms_otp: {
          enabled: true,
          user_numbers: true,
          default_region: 'TW',
          allowed_countries: ['TW', 'US'],
          max_sends: 3,
          max_per_number_per_day: 4,
          timeout: '1s',
          sender: { type: 'twilio', account_sid: SID, auth_token: 'tok-secret', from: '+15005550006', api_url: provider.url },
        },
      };
      // Wrong codes ban the account's one-time codes after 10 (the harness is lenient by default).
      c.regulation.account.max_retries = 10;
      c.access_control.rules.unshift({ domain: APP, resources: ['/canteen/.*'], policy: 'two_factor', factors: ['sms_otp'] } as never);
    },
  });
});
afterAll(async () => {
  await h?.close();
  await provider?.close();
});
// Each test a day later: every send cap starts empty, and the TOTP steps are new.
beforeEach(async () => {
  clock.advance(25 * 3_600_000);
  provider.setMode('ok');
  for (const user of USERS) await h.gateway.ctx.storage.smsNumbers.remove(user);
});

const CANTEEN = `http://${APP}/canteen/menu`;
const events = (kind: string, subject: string) => h.gateway.ctx.storage.auditEvents.query({ kind, subject, limit: 100 });
const stored = (user: string) => h.gateway.ctx.storage.smsNumbers.get(user);

/** Signed in with the password and a fresh authenticator-app code (a new app each time: no replayed step). */
async function freshSession(user: string) {
  const secret = Buffer.from(Array.from({ length: 20 }, () => Math.floor(Math.random() * 256)));
  const device = await h.gateway.ctx.storage.otpDevices.create(
    { username: user, kind: 'totp', name: 'App', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
    clock.now(),
  );
  const b = browser(h, await h.signIn(user, PASSWORD));
  const page = await b.get('/second-factor');
  const code = generateTotp(secret, clock.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
  const done = await b.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device: device.id, code });
  if (done.status !== 303) throw new Error(`second factor: ${done.status}`);
  const methods = await b.get('/methods');
  return { b, csrf: csrfFieldOf(methods.body)!, methods };
}

/** Posts a number; when the provider is expected to get a text, its code and recipient. */
async function addNumber(b: ReturnType<typeof browser>, csrf: string, number: string) {
  const arrived = provider.next();
  const res = await b.post('/methods/sms/add', { csrf, number });
  expect(res.status).toBe(200);
  const req = await arrived;
  const form = new URLSearchParams(req.body);
  return { res, code: codeFromText(form.get('Body') ?? ''), to: form.get('To') };
}

const wrongCode = (code: string) => String((Number(code) + 7) % 1_000_000).padStart(6, '0');

describe('a mobile number the user adds for SMS codes', () => {
  it('add → code → confirm stores it (shown masked, audited), and sign-in codes then go to it', async () => {
    const { b, csrf, methods } = await freshSession('nina');
    expect(methods.body).toContain('methods/sms/add');
    expect(methods.body).toContain('No mobile number yet.');
    const { res, code, to } = await addNumber(b, csrf, '0912 345 678');
    expect(to).toBe('+886912345678');
    expect(res.body).toContain('We texted a code to •••• 678');
    expect(await stored('nina')).toBeUndefined();
    const done = await b.post('/methods/sms/confirm', { csrf, number: '+886912345678', code });
    expect(done.status).toBe(303);
    expect(done.headers.location).toContain('notice=sms_added');
    expect(await stored('nina')).toMatchObject({ number: '+886912345678' });
    const page = await b.get('/methods');
    expect(page.body).toContain('Your number: •••• 678');
    expect(page.body).not.toMatch(/912.?345|0912/);
    const [enrolled] = await events('factor.enrolled', 'nina');
    expect(enrolled?.details).toMatchObject({ kind: 'sms_otp', destination: '•••• 678' });

    // The next sign-in: "Text a code to •••• 678", sent to the confirmed number.
    const signIn = browser(h, await h.signIn('nina', PASSWORD));
    const step = await signIn.get(`/second-factor?rd=${encodeURIComponent(CANTEEN)}`);
    expect(step.body).toContain('Text a code to •••• 678');
    const arrived = provider.next();
    expect((await signIn.post('/second-factor/code/sms/send', { csrf: csrfFieldOf(step.body)!, rd: CANTEEN })).status).toBe(303);
    const text = new URLSearchParams((await arrived).body);
    expect(text.get('To')).toBe('+886912345678');
    const finished = await signIn.post('/second-factor/code/sms', { csrf: csrfFieldOf(step.body)!, rd: CANTEEN, code: codeFromText(text.get('Body') ?? '') });
    expect(finished.status).toBe(303);
    expect((await signIn.get('/canteen/menu', APP)).status).toBe(200);
  });

  it('an unconfirmed number is never used, and a wrong, expired or replayed code or a swapped number stores nothing', async () => {
    const { b, csrf } = await freshSession('omar');
    const { code } = await addNumber(b, csrf, '+886 912 222 333');
    // Not confirmed: the sign-in offers no SMS, and the factor has nowhere to send one.
    const signIn = browser(h, await h.signIn('omar', PASSWORD));
    const step = await signIn.get(`/second-factor?rd=${encodeURIComponent(CANTEEN)}`);
    expect(step.body).not.toContain('code/sms/send');
    expect(await h.gateway.ctx.sentCodes.sms_otp!.factor.destinationOf('omar')).toBeUndefined();

    const wrong = await b.post('/methods/sms/confirm', { csrf, number: '+886912222333', code: wrongCode(code) });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('That code is not right');
    // The code with another (valid, allowed) number: the code was bound to the number it went to.
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912345678', code })).status).toBe(400);
    for (const junk of ['', 'abc', '+886 912 222 333 444', '+1 900 555 0100']) {
      expect((await b.post('/methods/sms/confirm', { csrf, number: junk, code })).status).toBe(400);
    }
    expect(await stored('omar')).toBeUndefined();
    const refused = await events('factor.enroll_refused', 'omar');
    expect(refused.length).toBeGreaterThanOrEqual(6);

    // Expired: past the ttl by the gateway's clock.
    clock.advance(301_000);
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912222333', code })).body).toContain('expired');
    expect(await stored('omar')).toBeUndefined();

    // A fresh code works once; the same code again is refused.
    clock.advance(60_000);
    const again = await addNumber(b, csrf, '+886912222333');
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912222333', code: again.code })).status).toBe(303);
    await h.gateway.ctx.storage.smsNumbers.remove('omar');
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912222333', code: again.code })).status).toBe(400);
    expect(await stored('omar')).toBeUndefined();
  });

  it('wrong codes count in regulation like other one-time codes: the account is throttled', async () => {
    const { b, csrf } = await freshSession('rosa');
    const { code } = await addNumber(b, csrf, '+886912444555');
    let last = 0;
    for (let i = 0; i < 15 && last !== 429; i++) last = (await b.post('/methods/sms/confirm', { csrf, number: '+886912444555', code: wrongCode(code) })).status;
    expect(last).toBe(429);
    // Throttled: even the right code is not looked at.
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912444555', code })).status).toBe(429);
    expect(await stored('rosa')).toBeUndefined();
  });

  it.each([
    ['letters', '0912 ABC 678', 'not a phone number'],
    ['too long', '+886 912 345 678 999 999', 'not a phone number'],
    ['premium-rate', '+1 900 555 0100', 'only go to a mobile number'],
    ['a landline', '+886 2 2345 6789', 'only go to a mobile number'],
    ['another country', '+81 90 1234 5678', 'numbers in that country'],
    ['no such number', '+886 1234', 'not a phone number|does not exist'],
    ['a CRLF', '0912345678\r\n+886900000000', 'not a phone number'],
  ])('refuses %s, sending nothing', async (_name, number, message) => {
    const { b, csrf } = await freshSession('pia');
    const before = provider.received.length;
    const res = await b.post('/methods/sms/add', { csrf, number });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(new RegExp(message));
    expect(provider.received.length).toBe(before);
  });

  it('adding counts against the same caps as sign-in codes (max_sends per account)', async () => {
    const { b, csrf } = await freshSession('quinn');
    for (const n of ['+886912000001', '+886912000002', '+886912000003']) await addNumber(b, csrf, n);
    const before = provider.received.length;
    const refused = await b.post('/methods/sms/add', { csrf, number: '+886912000004' });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many codes were sent');
    expect(provider.received.length).toBe(before);
  });

  it('per number per day: texts to one number are capped across users and purposes', async () => {
    const numbers = ['nina', 'omar', 'pia', 'quinn'];
    for (const user of numbers) {
      const { b, csrf } = await freshSession(user);
      await addNumber(b, csrf, '+886912999888');
    }
    // Rosa's one-time codes may still be banned (the regulation test): nina again, in a new session.
    const { b, csrf } = await freshSession('nina');
    expect((await b.post('/methods/sms/add', { csrf, number: '+886912999888' })).status).toBe(429);
  });

  it("CSRF: a post without the token or with another session's sends nothing", async () => {
    const { b } = await freshSession('pia');
    const other = await freshSession('quinn');
    const before = provider.received.length;
    for (const csrf of ['', 'x'.repeat(43), other.csrf]) {
      expect((await b.post('/methods/sms/add', { csrf, number: '+886912345678' })).status).toBe(403);
      expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912345678', code: '123456' })).status).toBe(403);
    }
    expect(provider.received.length).toBe(before);
  });

  it("another user's pending number cannot be confirmed with its code; its owner still can", async () => {
    const nina = await freshSession('nina');
    const pia = await freshSession('pia');
    const { code } = await addNumber(nina.b, nina.csrf, '+886912777666');
    expect((await pia.b.post('/methods/sms/confirm', { csrf: pia.csrf, number: '+886912777666', code })).status).toBe(400);
    expect(await stored('pia')).toBeUndefined();
    expect((await nina.b.post('/methods/sms/confirm', { csrf: nina.csrf, number: '+886912777666', code })).status).toBe(303);
    expect(await stored('nina')).toMatchObject({ number: '+886912777666' });
  });

  it('two numbers pending at once: the second does not silently replace the first', async () => {
    const { b, csrf } = await freshSession('pia');
    const first = await addNumber(b, csrf, '+886912555111');
    const second = await addNumber(b, csrf, '+886912555222');
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912555111', code: first.code })).status).toBe(303);
    const refused = await b.post('/methods/sms/confirm', { csrf, number: '+886912555222', code: second.code });
    expect(refused.status).toBe(303);
    expect(refused.headers.location).not.toContain('sms_added');
    expect(await stored('pia')).toMatchObject({ number: '+886912555111' });
    expect(await events('factor.enrolled', 'pia')).toHaveLength(1);
  });

  it('needs a fresh second factor to add; a password-only session is sent to confirm first', async () => {
    await freshSession('pia'); // pia has an app, so a password alone is not enough
    const b = browser(h, await h.signIn('pia', PASSWORD));
    const csrf = csrfFieldOf((await b.get('/second-factor')).body)!;
    const before = provider.received.length;
    const res = await b.post('/methods/sms/add', { csrf, number: '+886912345678' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('needs_fresh_factor');
    expect(provider.received.length).toBe(before);
  });

  it('removing: needs a fresh factor, is audited, and the number gets no more codes', async () => {
    const { b, csrf } = await freshSession('omar');
    const { code } = await addNumber(b, csrf, '+886912121212');
    expect((await b.post('/methods/sms/confirm', { csrf, number: '+886912121212', code })).status).toBe(303);
    const stale = browser(h, await h.signIn('omar', PASSWORD));
    const staleCsrf = csrfFieldOf((await stale.get('/second-factor')).body)!;
    expect((await stale.post('/methods/sms/remove', { csrf: staleCsrf })).headers.location).toContain('needs_fresh_factor');
    expect(await stored('omar')).toBeDefined();
    const removed = await b.post('/methods/sms/remove', { csrf });
    expect(removed.headers.location).toContain('notice=sms_removed');
    expect(await stored('omar')).toBeUndefined();
    expect((await events('factor.removed', 'omar'))[0]?.details).toMatchObject({ kind: 'sms_otp', destination: '•••• 212' });
    const signIn = browser(h, await h.signIn('omar', PASSWORD));
    expect((await signIn.get(`/second-factor?rd=${encodeURIComponent(CANTEEN)}`)).body).not.toContain('code/sms/send');
  });

  it("the directory's number wins: its holder sees it masked and cannot add another", async () => {
    const { b, csrf, methods } = await freshSession('dirk');
    expect(methods.body).toContain('Your number from the company directory: •••• 111');
    expect(methods.body).not.toContain('methods/sms/add');
    const before = provider.received.length;
    const res = await b.post('/methods/sms/add', { csrf, number: '+886912345678' });
    expect(res.status).toBe(303);
    expect(provider.received.length).toBe(before);
    expect(await stored('dirk')).toBeUndefined();
  });

  it('the Traditional Chinese pages', async () => {
    const { b } = await freshSession('quinn');
    const page = await h.request({ path: '/methods/sms/add', host: 'auth.localhost', headers: { cookie: b.cookie, 'accept-language': 'zh-TW' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('新增接收簡訊驗證碼的手機號碼');
    const methods = await h.request({ path: '/methods', host: 'auth.localhost', headers: { cookie: b.cookie, 'accept-language': 'zh-TW' } });
    expect(methods.body).toContain('簡訊驗證碼');
  });
});
