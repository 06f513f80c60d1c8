import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { APP, browser, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { codeFromMail, decodeMailParts, startSmtpSink, type SmtpSink } from '../testing/smtp-sink.js';

let h: GatewayHarness;
let smtp: SmtpSink;
const clock = createFixedClock(Date.now());

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startGatewayHarness({
    clock,
    configure: (c) => {
      const config = c as Record<string, any>;
      config.smtp = { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'Gatehouse <gatehouse@corp.example>', timeout: '5s' };
      config.second_factors = { email_otp: { enabled: true, ttl: '5m', resend_cooldown: '60s', max_sends: 4, send_window: '1h' } };
      c.access_control.rules.unshift({ domain: APP, resources: ['/totp-only/.*'], policy: 'two_factor', factors: ['totp'] } as never);
      c.regulation.account.max_retries = 50;
    },
  });
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

const SECURE = `http://${APP}/secure/vault`;
const TOTP_ONLY = `http://${APP}/totp-only/x`;
const rdq = (rd = SECURE) => `?rd=${encodeURIComponent(rd)}`;
const events = (kind: string, subject: string) => h.gateway.ctx.storage.auditEvents.query({ kind, subject, limit: 100 });

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Signed in with the password, on the second step: the browser and the page's CSRF token. */
async function onSecondStep(user: 'alice' | 'bob' = 'alice') {
  const b = browser(h, await h.signIn(user));
  const page = await b.get(`/second-factor${rdq()}`);
  return { b, page, csrf: csrfFieldOf(page.body)! };
}

/** Asks for a code and returns it as the SMTP server received it. */
async function sendCode(b: ReturnType<typeof browser>, csrf: string, to = 'alice@corp.example') {
  const arrived = smtp.next(to);
  const sent = await b.post('/second-factor/code/email/send', { csrf, rd: SECURE });
  expect(sent.status).toBe(303);
  return codeFromMail(await arrived);
}

// Each test starts past the account's send window (the fake clock), as if an hour had passed.
beforeEach(() => clock.advance(3_600_000 + 1000));

describe('email codes as a second factor', () => {
  it('offers "Email a code to a••••@corp.example" in the chooser, never the whole address', async () => {
    const { page } = await onSecondStep();
    expect(page.body).toContain('Email a code to a••••@corp.example');
    expect(page.body).not.toContain('alice@corp.example');
    expect(page.body).toContain('second-factor/code/email/send');
  });

  it('signs in with the code the SMTP server received, once; the store never holds the plain code', async () => {
    const { b, csrf } = await onSecondStep();
    const code = await sendCode(b, csrf);
    expect(code).toMatch(/^[0-9]{6}$/);
    const page = await b.get(`/second-factor/code/email${rdq()}`);
    expect(page.body).toMatch(/We sent a code to a••••@corp\.example|Sending a code to a••••@corp\.example/);
    const values = await redisValues();
    expect(values.some((v) => v.includes(code))).toBe(false);

    const done = await b.post('/second-factor/code/email', { csrf, rd: SECURE, code });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(SECURE);
    expect((await b.get('/secure/vault', APP)).status).toBe(200);
    expect(
      await eventually(
        () => events('second_factor.success', 'alice'),
        (e) => e.some((x) => x.details?.factor === 'email_otp'),
      ),
    ).toBeTruthy();
    // The same code again, in the new session: gone.
    const again = await b.post('/second-factor/code/email', { csrf, rd: SECURE, code });
    expect(again.status).not.toBe(303);
  });

  it('mails in zh-TW to a zh-TW browser, text and HTML, with the code and no other secret', async () => {
    const b = browser(h, await h.signIn('bob'));
    const page = await h.request({ path: `/second-factor${rdq()}`, host: 'auth.localhost', headers: { cookie: b.cookie, 'accept-language': 'zh-TW' } });
    expect(page.body).toContain('寄送驗證碼到 b••••@corp.example');
    const arrived = smtp.next('bob@corp.example');
    const sent = await h.request({
      method: 'POST',
      path: '/second-factor/code/email/send',
      host: 'auth.localhost',
      headers: { cookie: b.cookie, origin: 'http://auth.localhost', 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'zh-TW' },
      body: new URLSearchParams({ csrf: csrfFieldOf(page.body)!, rd: SECURE }).toString(),
    });
    expect(sent.status).toBe(303);
    const mail = await arrived;
    const { parts } = decodeMailParts(mail.raw);
    expect(parts.map((p) => p.type).sort()).toEqual(['text/html', 'text/plain']);
    expect(parts.find((p) => p.type === 'text/plain')!.body).toContain('陳柏宇 Bob Chen 您好');
    expect(codeFromMail(mail)).toMatch(/^[0-9]{6}$/);
    expect(mail.raw).not.toContain(USERS_PASSWORD_MARK);
  });

  it('a wrong code is refused, audited, and counted as a one-time-code failure', async () => {
    const { b, csrf } = await onSecondStep();
    const code = await sendCode(b, csrf);
    const before = (await h.gateway.ctx.regulator.lockState('alice')).recentFailures;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused = await b.post('/second-factor/code/email', { csrf, rd: SECURE, code: wrong });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('That code is not right');
    expect((await h.gateway.ctx.regulator.lockState('alice')).recentFailures).toBe(before + 1);
    for (const junk of ['', 'abcdef', '12345', '1234567', '１２３４５６', `${code}0`, 'x'.repeat(5000)]) {
      expect((await b.post('/second-factor/code/email', { csrf, rd: SECURE, code: junk })).status).toBe(junk.length > 32 || /[^0-9]/.test(junk) || junk.length !== 6 ? 400 : 401);
    }
    // The right code still works after the failures (the budget is regulation's, not the code's).
    expect((await b.post('/second-factor/code/email', { csrf, rd: SECURE, code })).status).toBe(303);
  });

  it('a resend waits for the cooldown shown on the page; the new code replaces the old one', async () => {
    const { b, csrf } = await onSecondStep();
    const first = await sendCode(b, csrf);
    const early = await b.post('/second-factor/code/email/send', { csrf, rd: SECURE });
    expect(early.status).toBe(429);
    expect(early.body).toMatch(/You can ask for a new one in (60|59) seconds/);
    const page = await b.get(`/second-factor/code/email${rdq()}`);
    expect(page.body).toMatch(/You can ask for a new code in (60|59) seconds/);
    clock.advance(61_000);
    const second = await sendCode(b, csrf);
    if (second !== first) expect((await b.post('/second-factor/code/email', { csrf, rd: SECURE, code: first })).status).toBe(401);
    expect((await b.post('/second-factor/code/email', { csrf, rd: SECURE, code: second })).status).toBe(303);
  });

  it('a code past its ttl is refused as expired, by the gateway clock', async () => {
    const { b, csrf } = await onSecondStep();
    const code = await sendCode(b, csrf);
    clock.advance(5 * 60_000);
    const late = await b.post('/second-factor/code/email', { csrf, rd: SECURE, code });
    expect(late.status).toBe(401);
    expect(late.body).toContain('expired');
  });

  it('a code sent for one sign-in is refused in another sign-in of the same user', async () => {
    const one = await onSecondStep();
    const two = await onSecondStep();
    const code = await sendCode(one.b, one.csrf);
    expect((await two.b.post('/second-factor/code/email', { csrf: two.csrf, rd: SECURE, code })).status).toBe(401);
    clock.advance(61_000);
    const own = await sendCode(two.b, two.csrf);
    if (own !== code) expect((await two.b.post('/second-factor/code/email', { csrf: two.csrf, rd: SECURE, code })).status).toBe(401);
    // Nor in bob's: another account.
    const bob = await onSecondStep('bob');
    expect((await bob.b.post('/second-factor/code/email', { csrf: bob.csrf, rd: SECURE, code })).status).toBe(401);
    expect((await one.b.post('/second-factor/code/email', { csrf: one.csrf, rd: SECURE, code })).status).toBe(303);
  });

  it('the same code sent twice in parallel signs in exactly once', async () => {
    const { b, csrf } = await onSecondStep();
    const code = await sendCode(b, csrf);
    const cookie = b.cookie;
    const post = () =>
      h.request({
        method: 'POST',
        path: '/second-factor/code/email',
        host: 'auth.localhost',
        headers: { cookie, origin: 'http://auth.localhost', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, rd: SECURE, code }).toString(),
      });
    const answers = await Promise.all(Array.from({ length: 8 }, post));
    const signedIn = answers.filter((a) => a.status === 303 && a.headers.location === SECURE);
    expect(signedIn).toHaveLength(1);
  });

  it('"Confirm it\'s you" before changing sign-in methods does not offer an email code', async () => {
    const b = browser(h, await h.signIn('alice'));
    const page = await b.get('/second-factor?fresh=1');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('code/email/send');
  });

  it('a rule whose factors leave email out neither offers nor accepts it', async () => {
    const b = browser(h, await h.signIn('alice'));
    const page = await b.get(`/second-factor${rdq(TOTP_ONLY)}`);
    expect(page.body).not.toContain('code/email/send');
    const csrf = csrfFieldOf(page.body)!;
    const send = await b.post('/second-factor/code/email/send', { csrf, rd: TOTP_ONLY });
    expect(send.status).toBe(303);
    expect(send.headers.location).toBe(`/second-factor${rdq(TOTP_ONLY)}`);
  });

  it('at most max_sends codes per account and window, whatever the sign-in', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const { b, csrf } = await onSecondStep('bob');
      codes.push(await sendCode(b, csrf, 'bob@corp.example'));
    }
    const { b, csrf } = await onSecondStep('bob');
    const refused = await b.post('/second-factor/code/email/send', { csrf, rd: SECURE });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many codes were sent');
    expect(
      await eventually(
        () => events('second_factor.code_refused', 'bob'),
        (e) => e.some((x) => x.details?.cap === 'account'),
      ),
    ).toBeTruthy();
  });

  it('a throttled account gets no code and its right code is refused; a locked one loses the session', async () => {
    const { b, csrf } = await onSecondStep();
    const code = await sendCode(b, csrf);
    // Throttle alice's one-time codes: failures up to the account window's limit.
    for (let i = 0; i < 50; i++) await h.gateway.ctx.regulator.recordFailure({ username: 'alice', kind: 'otp', ip: '192.0.2.9' });
    clock.advance(61_000);
    const send = await b.post('/second-factor/code/email/send', { csrf, rd: SECURE });
    expect(send.status).toBe(429);
    expect(send.body).toContain('Too many attempts');
    expect((await b.post('/second-factor/code/email', { csrf, rd: SECURE, code })).status).toBe(429);
    await h.gateway.ctx.regulator.lock('alice', { reason: 'admin', actor: 'test' });
    const locked = await b.post('/second-factor/code/email', { csrf, rd: SECURE, code });
    // The lock ended the session: the answer is the way back to the password, not the site.
    expect(locked.headers.location).not.toBe(SECURE);
    expect((await b.get('/secure/vault', APP)).status).toBe(302);
    await h.gateway.ctx.regulator.unlock('alice', { actor: 'test' });
  });
});

const USERS_PASSWORD_MARK = 'bob-battery-staple';

/** Every string value in the test's Redis. */
async function redisValues(): Promise<string[]> {
  const { createClient } = await import('redis');
  const client = createClient({ url: h.redis.url });
  await client.connect();
  try {
    const out: string[] = [];
    for await (const keys of client.scanIterator({ COUNT: 500 })) {
      for (const key of ([] as string[]).concat(keys)) {
        const type = await client.type(key);
        if (type === 'string') out.push(`${key}=${(await client.get(key)) ?? ''}`);
        else if (type === 'zset') out.push(`${key}=${(await client.zRange(key, 0, -1)).join(',')}`);
      }
    }
    return out;
  } finally {
    await client.quit();
  }
}
