import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { api, enrollPhone, requestPush, startPushHarness } from '../factors/push/testing/push-harness.js';
import { startSilentSmtp, startSmtpInbox, type ReceivedMail } from '../notifications/testing/smtp-inbox.js';
import { browser, fetchSignInForm, PORTAL, startGatewayHarness, USERS, type GatewayHarness, type HarnessConfig } from '../testing/gateway-harness.js';
import { cookieFrom, csrfFieldOf } from '../testing/http-client.js';

/**
 * Security notifications through the whole gateway: the real sign-in, methods and push routes
 * cause the events, a real SMTP server receives the mails.
 */

type Inbox = Awaited<ReturnType<typeof startSmtpInbox>>;
let inbox: Inbox;
let h: GatewayHarness;
/** Every secret the tests handle: none may appear in any mail. */
const secrets = new Set<string>(Object.values(USERS).map((u) => u.password));

const withNotifications =
  (port: number, extra: Record<string, unknown> = {}, timeout = '5s') =>
  (c: HarnessConfig) =>
    Object.assign(c, {
      smtp: { host: '127.0.0.1', port, security: 'none', from: 'Gatehouse <gatehouse@corp.example>', timeout },
      notifications: { enabled: true, retries: 1, ...extra },
    });

beforeAll(async () => {
  inbox = await startSmtpInbox();
  h = await startPushHarness({ max_requests: 100 }, (c) => {
    withNotifications(inbox.port)(c);
    c.regulation.lockout.max_failures = 4;
  });
});
afterAll(async () => {
  await h?.close();
  await inbox?.close();
});

const flush = () => h.gateway.ctx.notifier!.flush();
/** How many mails are in once everything queued so far is sent. */
const mark = async () => {
  await flush();
  return inbox.mails.length;
};
const newMails = async (since: number) => {
  await flush();
  return inbox.mails.slice(since);
};

/** The sign-in form as a browser posts it, with its own cookies and language. */
async function postSignIn(g: GatewayHarness, username: string, password: string, options: { cookie?: string; lang?: string } = {}) {
  const { csrfCookie, csrfToken } = await fetchSignInForm(g.request);
  const res = await g.request({
    method: 'POST',
    path: '/login',
    host: PORTAL,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: `http://${PORTAL}`,
      cookie: [`gatehouse_csrf=${csrfCookie}`, options.cookie].filter(Boolean).join('; '),
      ...(options.lang ? { 'accept-language': options.lang } : {}),
      'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15',
    },
    body: new URLSearchParams({ csrf: csrfToken, username, password }).toString(),
  });
  const session = cookieFrom(res, 'gatehouse_session');
  if (session) secrets.add(session);
  const browserCookie = cookieFrom(res, 'gatehouse_browser');
  if (browserCookie) secrets.add(browserCookie);
  return { res, session, browserCookie, setCookies: res.headers['set-cookie'] ?? [] };
}

/** Alice signed in with a fresh TOTP factor of her own (so she may change her methods). */
async function aliceWithApp() {
  const secret = Buffer.alloc(20, 7);
  const device = await h.gateway.ctx.storage.otpDevices.create(
    { username: 'alice', kind: 'totp', name: 'Work phone', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
    Date.now(),
  );
  const { session } = await postSignIn(h, 'alice', USERS.alice.password);
  const rotated = await h.gateway.ctx.sessions.rotate(session!, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at: Date.now(), device: device.id }] }));
  secrets.add(rotated!.token);
  return { user: browser(h, `gatehouse_session=${rotated!.token}`), device };
}

describe('sign-in from a new browser', () => {
  it('mails once for a browser the user has not signed in from, in its language; not again with its cookie', async () => {
    const before = await mark();
    const first = await postSignIn(h, 'bob', USERS.bob.password, { lang: 'zh-TW,zh;q=0.9' });
    expect(first.res.status).toBe(303);
    expect(first.browserCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.setCookies.find((c) => c.startsWith('gatehouse_browser='))).toMatch(/; Path=\/; Max-Age=15552000; HttpOnly; SameSite=Lax$/);
    const mails = await newMails(before);
    expect(mails.map((m) => [m.kind, m.to])).toEqual([['new_browser', ['bob@corp.example']]]);
    expect(mails[0]!.subject).toBe('有新的瀏覽器登入您的帳號');
    expect(mails[0]!.text).toContain('Safari · macOS');
    expect(mails[0]!.text).toContain('127.0.0.1');

    const again = await postSignIn(h, 'bob', USERS.bob.password, { cookie: `gatehouse_browser=${first.browserCookie}` });
    expect(again.res.status).toBe(303);
    expect(again.browserCookie).toBe(first.browserCookie);
    expect(await newMails(before + 1)).toEqual([]);
    const events = await h.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'sign_in.success', limit: 2 });
    expect(events.map((e) => e.details.browser)).toEqual(['known', 'new']);
  });

  it('the same browser is new for another user: each user has a list of their own', async () => {
    const bobs = await postSignIn(h, 'bob', USERS.bob.password);
    const before = await mark();
    const alices = await postSignIn(h, 'alice', USERS.alice.password, { cookie: `gatehouse_browser=${bobs.browserCookie}` });
    expect(alices.browserCookie).toBe(bobs.browserCookie);
    expect((await newMails(before)).map((m) => [m.kind, m.to])).toEqual([['new_browser', ['alice@corp.example']]]);
  });

  it.each(['x', '../../etc/passwd', 'A'.repeat(44), 'A'.repeat(42), `${'A'.repeat(42)}=`, '%00%0d%0a'])(
    'a malformed browser cookie (%j) is replaced, never stored, and counts as new',
    async (value) => {
      const before = await mark();
      const res = await postSignIn(h, 'bob', USERS.bob.password, { cookie: `gatehouse_browser=${value}` });
      expect(res.res.status).toBe(303);
      expect(res.browserCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.browserCookie).not.toBe(value);
      expect((await newMails(before)).map((m) => m.kind)).toEqual(['new_browser']);
    },
  );

  it('a wrong password, an unknown user and a disabled one send nothing and set no browser cookie', async () => {
    const before = await mark();
    for (const [user, password] of [
      ['bob', 'wrong-password'],
      ['nobody', 'whatever-it-is'],
      ['carol', USERS.carol.password],
    ] as const) {
      const res = await postSignIn(h, user, password);
      expect(res.res.status).toBe(401);
      expect(res.browserCookie).toBeUndefined();
    }
    expect(await newMails(before)).toEqual([]);
  });
});

describe('factors, recovery codes and the phone', () => {
  it('adding an authenticator app mails once; a wrong first code mails nothing; removing it mails once', async () => {
    const { user } = await aliceWithApp();
    const methods = await user.get('/methods');
    const started = await user.post('/methods/totp/start', { csrf: csrfFieldOf(methods.body)!, name: 'Second phone' });
    expect(started.status).toBe(200);
    const deviceId = /name="device" value="([^"]+)"/.exec(started.body)![1]!;
    const pending = await h.gateway.ctx.storage.otpDevices.get(deviceId);
    secrets.add(pending!.secret.toString('hex'));
    const csrf = csrfFieldOf(started.body)!;
    const before = await mark();
    const wrong = await user.post('/methods/totp/confirm', { csrf, device: deviceId, code: '000000' });
    expect(wrong.status).toBe(400);
    expect(await newMails(before)).toEqual([]);

    const code = generateTotp(pending!.secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
    secrets.add(code);
    expect((await user.post('/methods/totp/confirm', { csrf, device: deviceId, code })).status).toBe(303);
    expect((await newMails(before)).map((m) => [m.kind, m.to])).toEqual([['factor_added', ['alice@corp.example']]]);
    expect(inbox.mails.at(-1)!.text).toContain('an authenticator app');

    const page = await user.get('/methods');
    expect((await user.post('/methods/remove', { csrf: csrfFieldOf(page.body)!, device: deviceId })).status).toBe(303);
    expect((await newMails(before + 1)).map((m) => m.kind)).toEqual(['factor_removed']);
  });

  it('creating recovery codes mails once; using one mails once; a wrong one mails nothing', async () => {
    const { user } = await aliceWithApp();
    const page = await user.get('/methods');
    const before = await mark();
    const shown = await user.post('/methods/recovery-codes', { csrf: csrfFieldOf(page.body)! });
    const codes = [...shown.body.matchAll(/<li><code>([0-9A-Z-]{14})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    for (const c of codes) secrets.add(c);
    expect((await newMails(before)).map((m) => m.kind)).toEqual(['recovery_codes_created']);

    const signedIn = await postSignIn(h, 'alice', USERS.alice.password, { cookie: 'gatehouse_browser=' });
    const second = browser(h, `gatehouse_session=${signedIn.session}`);
    const afterSignIn = await mark();
    const step = await second.get('/second-factor');
    const wrong = await second.post('/second-factor', { csrf: csrfFieldOf(step.body)!, device: 'recovery', code: 'AAAA-BBBB-CCCC' });
    expect(wrong.status).toBe(401);
    expect(await newMails(afterSignIn)).toEqual([]);
    const used = await second.post('/second-factor', { csrf: csrfFieldOf(step.body)!, device: 'recovery', code: codes[0]! });
    expect(used.status).toBe(303);
    expect((await newMails(afterSignIn)).map((m) => m.kind)).toEqual(['recovery_codes_used']);
  });

  it('setting up the phone sends one confirmation; "This wasn\'t me" sends one notice', async () => {
    const before = await mark();
    const phone = await enrollPhone(h, 'alice');
    expect((await newMails(before)).map((m) => [m.kind, m.to])).toEqual([['phone_enrolled', ['alice@corp.example']]]);
    const { approvalId } = await requestPush(h, 'alice', phone);
    const afterRequest = await mark();
    const res = await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'not_me'));
    expect(res.status).toBe(200);
    expect((await newMails(afterRequest)).map((m) => m.kind)).toEqual(['not_me']);
    // A second "not me" for the same request is refused and sends nothing.
    expect((await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'not_me'))).status).toBe(410);
    expect(await newMails(afterRequest + 1)).toEqual([]);
  });
});

describe('lockout', () => {
  it('failures send nothing; the lock they cause sends one mail', async () => {
    const before = await mark();
    for (let i = 0; i < 6; i++) expect((await postSignIn(h, 'bob', `guess-${i}`)).res.status).toBe(401);
    expect((await newMails(before)).map((m) => [m.kind, m.to])).toEqual([['account_locked', ['bob@corp.example']]]);
  });
});

describe('what a mail never contains', () => {
  it('no password, code, token, cookie or secret of these tests in any raw message', async () => {
    await flush();
    expect(inbox.mails.length).toBeGreaterThan(10);
    const found = inbox.mails.flatMap((m: ReceivedMail) => [...secrets].filter((s) => s.length >= 6 && (m.raw.includes(s) || m.text.includes(s) || m.html.includes(s))));
    expect(found).toEqual([]);
    for (const m of inbox.mails) {
      expect(m.raw).not.toMatch(/gatehouse_(session|browser|csrf)/);
      expect(m.text).not.toMatch(/token|enroll\?/i);
    }
  });
});

describe('a mail server that fails never changes a sign-in', () => {
  it('refusing: the sign-in answers as always; the failure is audited after it', async () => {
    const refusing = await startSmtpInbox('refuse');
    const g = await startGatewayHarness({ configure: withNotifications(refusing.port), notifierOptions: { backoffMs: 5 } });
    try {
      const res = await postSignIn(g, 'alice', USERS.alice.password);
      expect(res.res.status).toBe(303);
      expect((await g.request({ path: '/', host: 'app.localhost', headers: { cookie: `gatehouse_session=${res.session}` } })).status).toBe(200);
      await g.gateway.ctx.notifier!.flush();
      expect(refusing.refusedCount()).toBe(2);
      const events = await g.gateway.ctx.storage.auditEvents.query({ subject: 'alice', limit: 10 });
      const order = events.map((e) => e.kind).reverse();
      expect(order.indexOf('sign_in.success')).toBeLessThan(order.indexOf('notification.failed'));
      expect(events.find((e) => e.kind === 'notification.failed')).toMatchObject({ result: 'failure', reason: 'smtp', details: { kind: 'new_browser', attempts: 2, status: 550 } });
    } finally {
      await g.close();
      await refusing.close();
    }
  });

  it('hanging: sign-ins answer while the send is still waiting for the server', async () => {
    const silent = await startSilentSmtp();
    const g = await startGatewayHarness({ configure: withNotifications(silent.port, { retries: 0 }, '60s') });
    try {
      const first = await postSignIn(g, 'alice', USERS.alice.password);
      expect(first.res.status).toBe(303);
      await silent.connected();
      // The relay has not said a word, and the next sign-ins (another user, the same one) answer all the same.
      const second = await postSignIn(g, 'bob', USERS.bob.password);
      const third = await postSignIn(g, 'alice', USERS.alice.password);
      expect([second.res.status, third.res.status]).toEqual([303, 303]);
      expect(silent.openSockets()).toBeGreaterThan(0);
      expect(await g.gateway.ctx.storage.auditEvents.query({ kind: 'notification.failed', limit: 5 })).toEqual([]);
    } finally {
      await silent.close();
      await g.gateway.ctx.notifier!.flush();
      await g.close();
    }
  });
});
