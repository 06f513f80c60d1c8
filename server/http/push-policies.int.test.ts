import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushEndpoint } from '../factors/push/testing/push-endpoint.js';
import { api, askAgain, browser, enrollPhone, requestPush, SECURE, startPushHarness } from '../factors/push/testing/push-harness.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { PORTAL, TRUSTED_PROXY } from '../testing/gateway-harness.js';

type Harness = Awaited<ReturnType<typeof startPushHarness>>;
const state = async (user: { get: (p: string) => Promise<{ body: string }> }, id: string) => JSON.parse((await user.get(`/second-factor/push/${id}`)).body) as { state: string };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('push: expiry (ttl 1s)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPushHarness({ ttl: '1s' });
  });
  afterAll(() => h?.close());

  it('an answer after expiry → 410; the page sees "expired", cannot complete, and push.expired is audited', async () => {
    const phone = await enrollPhone(h, 'alice');
    const { user, approvalId, number, csrf } = await requestPush(h, 'alice', phone);
    await sleep(1300);
    const res = await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'approve', number));
    expect([res.status, res.json]).toEqual([410, { error: 'expired' }]);
    expect(await state(user, approvalId)).toEqual({ state: 'expired' });
    expect((await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE })).status).toBe(410);
    const pending = await api(h, 'GET', '/pending', undefined, { authorization: phone.authorization('GET', '/api/push/v1/pending') });
    expect(pending.json.approvals).toEqual([]);
    expect((await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.expired', subject: 'alice', limit: 5 })).length).toBe(1);
  });

  it('an approval given in time but completed after expiry still completes within the grace', async () => {
    const phone = await enrollPhone(h, 'bob');
    const { user, approvalId, number, csrf } = await requestPush(h, 'bob', phone);
    expect((await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'approve', number))).status).toBe(200);
    await sleep(1200);
    expect((await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE })).status).toBe(303);
  });
});

describe('push: rate limit and "This wasn\'t me" (suspend)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPushHarness({ max_requests: 3, request_window: '5m', suspend_time: '1h' });
  });
  afterAll(() => h?.close());

  it('a fourth push within the window → 429 on the page; asking again resets no failure count', async () => {
    const phone = await enrollPhone(h, 'alice');
    const first = await requestPush(h, 'alice', phone);
    const wrong = first.number === '99' ? '98' : String(Number(first.number) + 1);
    expect((await api(h, 'POST', `/approvals/${first.approvalId}`, phone.answer(first.approvalId, 'approve', wrong))).status).toBe(409);
    const failures = (await h.gateway.ctx.regulator.lockState('alice')).recentFailures;
    expect((await askAgain(first.user, phone)).wait.status).toBe(200);
    expect((await askAgain(first.user, phone)).wait.status).toBe(200);
    const fourth = await askAgain(first.user, phone);
    expect(fourth.wait.status).toBe(429);
    expect(fourth.wait.body).toContain('Too many requests to your phone');
    expect(fourth.approvalId).toBeUndefined();
    expect((await h.gateway.ctx.regulator.lockState('alice')).recentFailures).toBe(failures);
    const pending = await api(h, 'GET', '/pending', undefined, { authorization: phone.authorization('GET', '/api/push/v1/pending') });
    expect((pending.json.approvals as unknown[]).length).toBe(3);
  });

  it('"This wasn\'t me" refuses the sign-in, suspends push for the account, and raises a warn audit event', async () => {
    const phone = await enrollPhone(h, 'bob');
    const { user, approvalId, csrf } = await requestPush(h, 'bob', phone);
    const res = await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'not_me'));
    expect([res.status, res.json.result]).toEqual([200, 'reported']);
    expect(await state(user, approvalId)).toEqual({ state: 'denied' });
    const done = await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
    expect(done.status).toBe(401);
    expect(done.body).toContain('Denied on your phone');
    const [event] = await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.not_me', subject: 'bob', limit: 5 });
    expect(event).toMatchObject({ result: 'failure', reason: 'push_suspended', details: expect.objectContaining({ action: 'suspend_push', device: phone.deviceId }) });
    const again = await askAgain(user, phone);
    expect(again.wait.status).toBe(403);
    expect(again.wait.body).toContain('suspended');
    expect(await h.gateway.ctx.regulator.isLocked('bob')).toBe(false);
  });

  it('while push is suspended the second step neither offers the phone nor leads with it, and nothing reaches the phone', async () => {
    // bob reported "This wasn't me" above; his phone approved last, so it would lead.
    const [phone] = await h.gateway.ctx.storage.pushDevices.listForUser('bob');
    await h.gateway.ctx.storage.userState.setLastUsed('bob', 'push', phone!.id);
    const user = browser(h, await h.signIn('bob'));
    const requested = (await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.requested', subject: 'bob', limit: 50 })).length;
    for (const path of ['/second-factor', `/second-factor?rd=${encodeURIComponent(SECURE)}`]) {
      const page = await user.get(path);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('second-factor/push');
      expect(page.body).not.toContain('id="push-start"');
      expect(page.body).toContain('<div id="push-suspended" class="notice" role="status">');
      // The phone's offline codes are no push: they lead instead.
      expect(/<div class="lead-method">[\s\S]*?<\/div>/.exec(page.body)?.[0]).toContain('code-option');
    }
    // A hand-made request is refused as before, and the phone is sent nothing.
    const csrf = csrfFieldOf((await user.get('/second-factor')).body)!;
    const forced = await user.post('/second-factor/push', { csrf, device: phone!.id, rd: SECURE });
    expect(forced.status).toBe(403);
    expect((await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.requested', subject: 'bob', limit: 50 })).length).toBe(requested);
    expect(await h.gateway.ctx.push!.pendingFor(phone!.id)).toEqual([]);
    // The suspension over, the phone leads again.
    await h.gateway.ctx.kv.del('push:suspended:bob');
    expect(/<div class="lead-method">[\s\S]*?<\/div>/.exec((await user.get('/second-factor')).body)?.[0]).toContain('push-option');
  });

  it('deny refuses the sign-in and says so', async () => {
    const h2 = h;
    const phone = await enrollPhone(h2, 'alice', { name: 'deny phone' });
    // alice used her three requests above; a new window is another user's business: use the store directly.
    await h2.gateway.ctx.kv.del('push:requests:alice');
    const { user, approvalId, csrf } = await requestPush(h2, 'alice', phone);
    expect((await api(h2, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'deny'))).json.result).toBe('denied');
    expect(await state(user, approvalId)).toEqual({ state: 'denied' });
    expect((await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE })).status).toBe(401);
    expect((await h2.gateway.ctx.storage.auditEvents.query({ kind: 'push.denied', subject: 'alice', limit: 5 })).length).toBe(1);
  });
});

describe('push: "This wasn\'t me" with on_not_me: lock', () => {
  let h: Harness;
  let hook: Awaited<ReturnType<typeof startPushEndpoint>>;
  beforeAll(async () => {
    hook = await startPushEndpoint({ status: 204 });
    h = await startPushHarness({ on_not_me: 'lock' }, (c) => Object.assign(c, { audit: { webhook: { url: `${hook.origin}/alerts`, kinds: ['push.not_me'] } } }));
  });
  afterAll(async () => {
    await h?.close();
    await hook?.close();
  });

  it('locks the account, ends its sessions, and alerts the security team through the webhook', async () => {
    const phone = await enrollPhone(h, 'bob');
    const { user, approvalId } = await requestPush(h, 'bob', phone);
    expect((await api(h, 'POST', `/approvals/${approvalId}`, phone.answer(approvalId, 'not_me'))).json.result).toBe('reported');
    expect(await h.gateway.ctx.regulator.isLocked('bob')).toBe(true);
    expect((await h.gateway.ctx.regulator.lockState('bob')).reason).toBe('not_me');
    expect((await user.get(`/second-factor/push/${approvalId}`)).status).toBe(401);
    const [event] = await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.not_me', subject: 'bob', limit: 5 });
    expect(event).toMatchObject({ result: 'failure', reason: 'locked' });
    await h.gateway.ctx.audit.flush();
    const alert = hook.received.find((r) => r.path === '/alerts');
    expect(JSON.parse(alert!.body.toString())).toMatchObject({ kind: 'push.not_me', subject: 'bob' });
  });
});

describe('push: device-authenticated calls', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPushHarness();
  });
  afterAll(() => h?.close());
  const PENDING = '/api/push/v1/pending';

  it('a signed request works once: the same header again → 401', async () => {
    const phone = await enrollPhone(h, 'alice');
    const header = phone.authorization('GET', PENDING);
    expect((await api(h, 'GET', '/pending', undefined, { authorization: header })).status).toBe(200);
    expect((await api(h, 'GET', '/pending', undefined, { authorization: header })).status).toBe(401);
    const seen = await h.gateway.ctx.storage.pushDevices.get(phone.deviceId);
    expect(seen!.lastSeenAt).not.toBeNull();
  });

  it.each([
    ['no header', () => undefined],
    ['another scheme', (p: Phone) => p.authorization('GET', PENDING).replace('Gatehouse-Device', 'Bearer')],
    ['a time 2 minutes old', (p: Phone) => p.authorization('GET', PENDING, '', Date.now() - 120_000)],
    ['a time 2 minutes ahead', (p: Phone) => p.authorization('GET', PENDING, '', Date.now() + 120_000)],
    ['signed for another path', (p: Phone) => p.authorization('GET', '/api/push/v1/events')],
    ['signed for another method', (p: Phone) => p.authorization('POST', PENDING)],
    ['signed with a body', (p: Phone) => p.authorization('GET', PENDING, '{}')],
    ['another device id', (p: Phone) => p.authorization('GET', PENDING).replace(/id=[^,]+/, 'id=AAAAAAAAAAAAAAAAAAAAAA')],
    ['a forged signature', (p: Phone) => p.authorization('GET', PENDING).replace(/sig=.*/, `sig=${'A'.repeat(86)}`)],
  ])('%s → 401', async (_name, header) => {
    const phone = await enrollPhone(h, 'bob');
    const value = header(phone);
    const res = await api(h, 'GET', '/pending', undefined, value ? { authorization: value } : {});
    expect([res.status, res.json]).toEqual([401, { error: 'bad_signature' }]);
  });

  it('the malleated twin of a used signature is refused as a replay', async () => {
    const phone = await enrollPhone(h, 'bob');
    const header = phone.authorization('GET', PENDING);
    expect((await api(h, 'GET', '/pending', undefined, { authorization: header })).status).toBe(200);
    expect((await api(h, 'GET', '/pending', undefined, { authorization: malleate(header) })).status).toBe(401);
  });

  it('PUT subscription replaces and clears it; a malformed one → 400', async () => {
    const phone = await enrollPhone(h, 'alice');
    const sub = {
      endpoint: 'https://fcm.googleapis.com/fcm/send/new',
      keys: { p256dh: (await import('node:crypto')).createECDH('prime256v1').generateKeys().toString('base64url'), auth: 'A'.repeat(22) },
    };
    const put = (body: unknown) => {
      const text = JSON.stringify(body);
      return api(h, 'PUT', '/subscription', text, { authorization: phone.authorization('PUT', '/api/push/v1/subscription', text) });
    };
    expect((await put({ subscription: sub })).status).toBe(204);
    expect(JSON.parse((await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.subscription!).endpoint).toBe('https://fcm.googleapis.com/fcm/send/new');
    expect((await put({ subscription: { ...sub, endpoint: 'http://push.example/' } })).status).toBe(400);
    // Not a listed push service: the gateway would post to it, so it is refused.
    expect((await put({ subscription: { ...sub, endpoint: 'https://intranet.corp.example/hook' } })).status).toBe(400);
    expect((await put({})).status).toBe(400);
    expect((await put({ subscription: null })).status).toBe(204);
    expect((await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.subscription).toBeNull();
  });

  it('DELETE device removes the phone and its offline codes; its signatures stop working', async () => {
    const phone = await enrollPhone(h, 'alice', { name: 'leaving' });
    const otpId = (await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.otpDeviceId!;
    expect((await api(h, 'DELETE', '/device', undefined, { authorization: phone.authorization('DELETE', '/api/push/v1/device') })).status).toBe(204);
    expect(await h.gateway.ctx.storage.pushDevices.get(phone.deviceId)).toBeUndefined();
    expect(await h.gateway.ctx.storage.otpDevices.get(otpId)).toBeUndefined();
    expect((await api(h, 'GET', '/pending', undefined, { authorization: phone.authorization('GET', PENDING) })).status).toBe(401);
  });

  it('an unknown API path → 404 JSON', async () => {
    const res = await api(h, 'GET', '/nothing');
    expect([res.status, res.json]).toEqual([404, { error: 'not_found' }]);
  });
});

type Phone = Awaited<ReturnType<typeof enrollPhone>>;

/** The other valid ECDSA signature of the same message: (r, n − s). */
function malleate(header: string): string {
  const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  const sig = Buffer.from(/sig=([A-Za-z0-9_-]+)/.exec(header)![1]!, 'base64url');
  const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
  const twin = Buffer.concat([sig.subarray(0, 32), Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex')]);
  return header.replace(/sig=.*/, `sig=${twin.toString('base64url')}`);
}

describe('push requests under regulation: a banned address or a refused account is one answer, and asks nothing of the phone', () => {
  let h: Harness;
  const ADDRESS_LIMIT = 4;
  beforeAll(async () => {
    h = await startPushHarness({ max_requests: 3, request_window: '5m' }, (c) => {
      c.regulation = {
        account: { max_retries: 3, find_time: '10m', ban_time: '15m' },
        address: { max_retries: ADDRESS_LIMIT, find_time: '10m', ban_time: '15m' },
        lockout: { max_failures: 50, find_time: '24h', duration: '1h' },
      };
    });
  });
  afterAll(() => h?.close());

  let nextAddress = 1;
  const freshAddress = () => `198.51.100.${nextAddress++}`;
  const alertOf = (body: string) => /role="alert"><p>([^<]*)<\/p>/.exec(body)?.[1];
  const requested = async (username: string) => (await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.requested', subject: username, limit: 100 })).length;

  /** "Approve on my phone" posted from `ip` (through the trusted proxy) with this `device` field. */
  async function ask(cookie: string, ip: string, device: string | undefined) {
    const csrf = csrfFieldOf((await h.request({ path: `/second-factor?rd=${encodeURIComponent(SECURE)}`, host: PORTAL, headers: { cookie } })).body)!;
    const fields: Record<string, string> = { csrf, rd: SECURE, ...(device === undefined ? {} : { device }) };
    const res = await h.request({
      method: 'POST',
      path: '/second-factor/push',
      host: PORTAL,
      headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams(fields).toString(),
      localAddress: TRUSTED_PROXY,
    });
    return { status: res.status, alert: alertOf(res.body) };
  }
  const banAddress = (ip: string) => Promise.all(Array.from({ length: ADDRESS_LIMIT }, () => h.gateway.ctx.regulator.recordFailure({ kind: 'password', ip })));
  /** A lock as it stands when it came after the session was made (a lock ends sessions; this one raced it). */
  const lockQuietly = (username: string) => h.gateway.ctx.kv.set(`reg:lock:${username}`, JSON.stringify({ reason: 'admin', actor: 'test', at: Date.now(), until: null }), 3600);

  it('a banned address: 429 "too many attempts" whatever the device field, and nothing is sent', async () => {
    const phone = await enrollPhone(h, 'alice');
    const bobs = await enrollPhone(h, 'bob');
    const cookie = await h.signIn('alice');
    const ip = freshAddress();
    await banAddress(ip);
    const before = await requested('alice');
    const devices = [phone.deviceId, bobs.deviceId, 'AAAAAAAAAAAAAAAAAAAAAA', '', undefined, 'x'.repeat(65), '../../admin', phone.deviceId.toLowerCase()];
    const answers = [];
    for (const device of devices) answers.push(await ask(cookie, ip, device));
    for (const answer of answers) expect(answer).toEqual({ status: 429, alert: answers[0]!.alert });
    expect(answers[0]!.alert).toMatch(/too many/i);
    expect(await requested('alice')).toBe(before);
    expect(await h.gateway.ctx.push!.pendingFor(phone.deviceId)).toEqual([]);
    // From another address the same session may ask.
    expect((await ask(cookie, freshAddress(), phone.deviceId)).status).toBe(200);
    await h.gateway.ctx.kv.del('push:requests:alice');
  });

  it('a locked account, also with push suspended or a bogus device, and one whose push attempts are banned: the banned address’s answer', async () => {
    const phone = await enrollPhone(h, 'bob');
    const cookie = await h.signIn('bob');
    const banned = freshAddress();
    await banAddress(banned);
    const addressAnswer = await ask(cookie, banned, phone.deviceId);
    const before = await requested('bob');
    await Promise.all(Array.from({ length: 3 }, () => h.gateway.ctx.regulator.recordFailure({ username: 'bob', kind: 'push', ip: freshAddress() })));
    const answers = [await ask(cookie, freshAddress(), phone.deviceId)];
    await lockQuietly('bob');
    await h.gateway.ctx.kv.set('push:suspended:bob', String(Date.now()), 3600);
    try {
      for (const device of [phone.deviceId, 'AAAAAAAAAAAAAAAAAAAAAA', undefined]) answers.push(await ask(cookie, freshAddress(), device));
    } finally {
      await h.gateway.ctx.regulator.unlock('bob', { actor: 'test' });
      await h.gateway.ctx.kv.del('push:suspended:bob');
    }
    for (const answer of answers) expect(answer).toEqual(addressAnswer);
    expect(addressAnswer.status).toBe(429);
    expect(await requested('bob')).toBe(before);
    expect(await h.gateway.ctx.push!.pendingFor(phone.deviceId)).toEqual([]);
  });

  it('over push.max_requests for the account, from whatever addresses: 429 "too many requests", and nothing more is sent', async () => {
    const phone = await enrollPhone(h, 'alice', { name: 'rate phone' });
    const cookie = await h.signIn('alice');
    await h.gateway.ctx.kv.del('push:requests:alice');
    const before = await requested('alice');
    for (let i = 0; i < 3; i++) expect((await ask(cookie, freshAddress(), phone.deviceId)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const over = await ask(cookie, freshAddress(), phone.deviceId);
      expect(over.status).toBe(429);
      expect(over.alert).toContain('Too many requests to your phone');
    }
    expect(await requested('alice')).toBe(before + 3);
    expect(await h.gateway.ctx.push!.pendingFor(phone.deviceId)).toHaveLength(3);
  });
});
