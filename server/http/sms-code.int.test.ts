import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { APP, browser, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { codeFromText, startSmsProvider, type SmsProvider } from '../testing/sms-provider.js';

let h: GatewayHarness;
let provider: SmsProvider;
const clock = createFixedClock(Date.now());
const SID = `AC${'c3'.repeat(16)}`;

/**
 * Users with numbers: alice's as people write it in Taiwan; bob shares it; the rest are numbers no
 * code may go to. (Letters never get this far from the users file, which refuses them; from LDAP
 * they are refused by parsePhoneNumber, phone-number.test.ts.)
 */
const NUMBERS: Record<string, string> = {
  alice: '0912 345 678',
  bob: '886912345678',
  toolong: '+886 912 345 678 999 999',
  premium: '+1 900 555 0100',
  abroad: '+81 90 1234 5678',
  landline: '+886 2 2345 6789',
};

beforeAll(async () => {
  provider = await startSmsProvider();
  h = await startGatewayHarness({
    clock,
    configure: (c) => {
      // Numbers for the users (the harness wrote the file already); the odd ones sign in with alice's password.
      const file = c.authentication.users_file!;
      const doc = parse(readFileSync(file, 'utf8')) as { users: Record<string, Record<string, unknown>> };
      for (const [name, mobile] of Object.entries(NUMBERS)) {
        doc.users[name] = { ...(doc.users[name] ?? { ...doc.users.alice, displayname: name, email: `${name}@corp.example` }), mobile };
      }
      writeFileSync(file, stringify(doc));
      const config = c as Record<string, any>;
      config.second_factors = {
        sms_otp: {
          enabled: true,
          default_region: 'TW',
          allowed_countries: ['TW', 'US'],
          max_sends: 3,
          max_per_number_per_day: 4,
          max_per_day: 1000,
          timeout: '1s',
          sender: { type: 'twilio', account_sid: SID, auth_token: 'tok-secret', from: '+15005550006', api_url: provider.url },
        },
      };
      c.access_control.rules.unshift({ domain: APP, resources: ['/canteen/.*'], policy: 'two_factor', factors: ['sms_otp'] } as never);
      c.access_control.rules.unshift({ domain: APP, resources: ['/vault/.*'], policy: 'two_factor', factors: ['webauthn', 'totp'] } as never);
    },
  });
});
afterAll(async () => {
  await h?.close();
  await provider?.close();
});
// Each test starts a day later (the fake clock): every send cap starts empty.
beforeEach(() => {
  clock.advance(25 * 3_600_000);
  provider.setMode('ok');
});

const CANTEEN = `http://${APP}/canteen/menu`;
const rdq = (rd = CANTEEN) => `?rd=${encodeURIComponent(rd)}`;
const events = (kind: string, subject: string) => h.gateway.ctx.storage.auditEvents.query({ kind, subject, limit: 100 });

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function onSecondStep(user: string, password = 'alice-correct-horse') {
  const b = browser(h, await h.signIn(user, user === 'bob' ? 'bob-battery-staple' : password));
  const page = await b.get(`/second-factor${rdq()}`);
  return { b, page, csrf: csrfFieldOf(page.body)! };
}

async function textCode(b: ReturnType<typeof browser>, csrf: string) {
  const arrived = provider.next();
  const sent = await b.post('/second-factor/code/sms/send', { csrf, rd: CANTEEN });
  expect(sent.status).toBe(303);
  const req = await arrived;
  return { code: codeFromText(new URLSearchParams(req.body).get('Body') ?? ''), to: new URLSearchParams(req.body).get('To') };
}

describe('SMS codes as a second factor', () => {
  it('offers "Text a code to •••• 678" and signs in with the code the provider was asked to send to +886912345678', async () => {
    const { b, page, csrf } = await onSecondStep('alice');
    expect(page.body).toContain('Text a code to •••• 678');
    expect(page.body).not.toMatch(/912.?345|0912/);
    const { code, to } = await textCode(b, csrf);
    expect(to).toBe('+886912345678');
    const done = await b.post('/second-factor/code/sms', { csrf, rd: CANTEEN, code });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(CANTEEN);
    expect((await b.get('/canteen/menu', APP)).status).toBe(200);
    // A site whose rule leaves SMS out still asks for one of its factors.
    expect((await b.get('/vault/x', APP)).status).toBe(302);
  });

  it('the Traditional Chinese page says where the code went, masked', async () => {
    const { b, csrf } = await onSecondStep('alice');
    await textCode(b, csrf);
    const page = await h.request({ path: `/second-factor/code/sms${rdq()}`, host: 'auth.localhost', headers: { cookie: b.cookie, 'accept-language': 'zh-TW' } });
    expect(page.body).toMatch(/驗證碼已傳送到 •••• 678|正在傳送驗證碼到 •••• 678/);
  });

  it('a wrong code, a code of another sign-in and a reused code are refused', async () => {
    const one = await onSecondStep('alice');
    const two = await onSecondStep('alice');
    const { code } = await textCode(one.b, one.csrf);
    expect((await two.b.post('/second-factor/code/sms', { csrf: two.csrf, rd: CANTEEN, code })).status).toBe(401);
    const wrong = String((Number(code) + 7) % 1_000_000).padStart(6, '0');
    expect((await one.b.post('/second-factor/code/sms', { csrf: one.csrf, rd: CANTEEN, code: wrong })).status).toBe(401);
    expect((await one.b.post('/second-factor/code/sms', { csrf: one.csrf, rd: CANTEEN, code })).status).toBe(303);
    expect((await one.b.post('/second-factor/code/sms', { csrf: one.csrf, rd: CANTEEN, code })).status).not.toBe(303);
  });

  it.each(['toolong', 'premium', 'abroad', 'landline'])('a user whose number is %s is offered no SMS and sent none', async (user) => {
    const { b, page } = await onSecondStep(user);
    expect(page.body).not.toContain('code/sms/send');
    // Nothing on the page to post with: the session's token from "My sign-in methods".
    const csrf = csrfFieldOf((await b.get('/methods')).body)!;
    const before = provider.received.length;
    const forced = await b.post('/second-factor/code/sms/send', { csrf, rd: CANTEEN });
    expect(forced.status).toBe(400);
    expect(forced.body).toContain('no address or number');
    expect(provider.received.length).toBe(before);
  });

  it('a provider answering 500: the page says "could not send — use another method", and it is audited', async () => {
    provider.setMode('fail');
    const { b, csrf } = await onSecondStep('alice');
    await textCode(b, csrf);
    await eventually(
      () => events('second_factor.code_undelivered', 'alice'),
      (e) => e.some((x) => x.reason === 'refused-500'),
    );
    const page = await b.get(`/second-factor/code/sms${rdq()}`);
    expect(page.body).toContain('Could not send a code to •••• 678 — use another method.');
    expect(page.body).not.toContain('name="code"');
  });

  it('a provider that holds the request (60 s or forever) does not hold the sign-in page; it times out in the background', async () => {
    provider.setMode('hang');
    const { b, csrf } = await onSecondStep('alice');
    const answeredBefore = provider.answered;
    const arrived = provider.next();
    const sent = await b.post('/second-factor/code/sms/send', { csrf, rd: CANTEEN });
    // The page answered while the provider has not: it was not waited for.
    expect(sent.status).toBe(303);
    await arrived;
    expect(provider.answered).toBe(answeredBefore);
    const sending = await b.get(`/second-factor/code/sms${rdq()}`);
    if (!(await events('second_factor.code_undelivered', 'alice')).some((x) => x.reason === 'timeout')) expect(sending.body).toContain('Sending a code to •••• 678');
    await eventually(
      () => events('second_factor.code_undelivered', 'alice'),
      (e) => e.some((x) => x.reason === 'timeout'),
    );
    expect((await b.get(`/second-factor/code/sms${rdq()}`)).body).toContain('Could not send a code');
    // What the page's script asks: this sign-in's delivery, and nothing for anyone else.
    const status = await b.get('/second-factor/code/sms/status');
    expect(status.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(status.body)).toEqual({ delivery: 'failed' });
    const other = browser(h, await h.signIn('alice'));
    expect(JSON.parse((await other.get('/second-factor/code/sms/status')).body)).toEqual({ delivery: 'none' });
    expect((await h.request({ path: '/second-factor/code/sms/status', host: 'auth.localhost' })).status).toBe(401);
    provider.release();
  });

  it('per number per day: two accounts sharing one number share its cap', async () => {
    for (let i = 0; i < 4; i++) {
      const { b, csrf } = await onSecondStep(i % 2 === 0 ? 'alice' : 'bob');
      await textCode(b, csrf);
    }
    const { b, csrf } = await onSecondStep('bob');
    const refused = await b.post('/second-factor/code/sms/send', { csrf, rd: CANTEEN });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many codes were sent');
    await eventually(
      () => events('second_factor.code_refused', 'bob'),
      (e) => e.some((x) => x.details?.cap === 'destination'),
    );
  });

  it('per account: max_sends within send_window, whatever the sign-in', async () => {
    for (let i = 0; i < 3; i++) {
      const { b, csrf } = await onSecondStep('alice');
      await textCode(b, csrf);
    }
    const { b, csrf } = await onSecondStep('alice');
    expect((await b.post('/second-factor/code/sms/send', { csrf, rd: CANTEEN })).status).toBe(429);
    await eventually(
      () => events('second_factor.code_refused', 'alice'),
      (e) => e.some((x) => x.details?.cap === 'account'),
    );
  });
});
