import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP } from '../testing/gateway-harness.js';
import { csrfFieldOf } from '../testing/http-client.js';
import { randomBytes, sign } from 'node:crypto';
import { answerText } from '../../client/companion/push-wire-format.js';
import type { SoftCompanion } from '../factors/push/testing/soft-companion.js';
import { api, askAgain, browser, enrollPhone, requestPush, SECURE, startPushHarness, type Browser } from '../factors/push/testing/push-harness.js';

type Harness = Awaited<ReturnType<typeof startPushHarness>>;
let h: Harness;
beforeAll(async () => {
  h = await startPushHarness({ max_requests: 100 });
});
afterAll(() => h?.close());

const answer = (id: string, body: unknown) => api(h, 'POST', `/approvals/${id}`, body);
const events = (kind: string, subject: string) => h.gateway.ctx.storage.auditEvents.query({ kind, subject, limit: 100 });

describe('push approval: the answer', () => {
  it('the right number approves; the page completes once, with the push factor under a new session id', async () => {
    const phone = await enrollPhone(h, 'alice');
    const { user, wait, approvalId, number, csrf } = await requestPush(h, 'alice', phone);
    expect(wait.status).toBe(200);
    expect(number).toMatch(/^[1-9]\d$/);
    expect((await user.get(`/second-factor/push/${approvalId}`)).body).toBe('{"state":"pending"}');

    const pending = await api(h, 'GET', '/pending', undefined, { authorization: phone.authorization('GET', `${'/api/push/v1'}/pending`) });
    expect(pending.status).toBe(200);
    const approvals = pending.json.approvals as Array<Record<string, unknown>>;
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ approvalId, username: 'alice', site: APP, ip: '127.0.0.1' });
    expect(approvals[0]).not.toHaveProperty('number');

    const ok = await answer(approvalId, phone.answer(approvalId, 'approve', number));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ result: 'approved' });
    expect((await user.get(`/second-factor/push/${approvalId}`)).body).toBe('{"state":"approved"}');

    const before = user.cookie;
    const done = await user.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(SECURE);
    expect(user.cookie).not.toBe(before);
    expect((await user.get('/secure/vault', APP)).status).toBe(200);
    const session = await h.gateway.ctx.sessions.read(user.cookie.split('=')[1]!);
    expect(session!.factors.find((f) => f.kind === 'push')).toMatchObject({ kind: 'push', device: phone.deviceId });

    // The session's CSRF token changed with its id: take the new one, and the redemption is still used up.
    const fresh = csrfFieldOf((await user.get('/')).body)!;
    expect(fresh).not.toBe(csrf);
    const again = await user.post(`/second-factor/push/${approvalId}/complete`, { csrf: fresh, rd: SECURE });
    expect(again.status).toBe(410);
    expect((await events('second_factor.success', 'alice')).map((e) => e.details)).toEqual([
      expect.objectContaining({ factor: 'push', device: phone.deviceId, approval: approvalId }),
    ]);
    expect(await events('push.approved', 'alice')).toHaveLength(1);
  });
});

describe('push approval: refused answers', () => {
  let phone: SoftCompanion;
  let second: SoftCompanion;
  let alicePhone: SoftCompanion;
  beforeAll(async () => {
    phone = await enrollPhone(h, 'bob', { name: 'Bob phone' });
    second = await enrollPhone(h, 'bob', { name: 'Bob tablet' });
    alicePhone = await enrollPhone(h, 'alice', { name: 'Alice second phone' });
  });

  const stillPending = async (user: Browser, id: string) => expect(JSON.parse((await user.get(`/second-factor/push/${id}`)).body)).toEqual({ state: 'pending' });

  it('forged signatures are refused (401) and leave the approval pending; then the real answer works', async () => {
    const { user, approvalId, number } = await requestPush(h, 'bob', phone);
    const other = await askAgain(user, phone);
    const time = Date.now();
    const good = phone.answer(approvalId, 'approve', number, time);
    const der = sign('sha256', Buffer.from(answerText({ approvalId, decision: 'approve', number, time })), phone.privateKey).toString('base64url');
    const flipped = Buffer.from(good.signature, 'base64url');
    flipped.writeUInt8(flipped.readUInt8(10) ^ 1, 10);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['random bytes', { ...good, signature: randomBytes(64).toString('base64url') }],
      ['one bit flipped', { ...good, signature: flipped.toString('base64url') }],
      ['empty', { ...good, signature: '' }],
      ['DER instead of raw r‖s', { ...good, signature: der }],
      ['too short', { ...good, signature: good.signature.slice(0, 40) }],
      ['padded base64', { ...good, signature: `${good.signature}==` }],
      ['standard base64 alphabet', { ...good, signature: Buffer.from(good.signature, 'base64url').toString('base64') }],
      ['signed for deny, sent as approve', { ...phone.answer(approvalId, 'deny', '', time), decision: 'approve', number }],
      ['signed with another number', { ...phone.answer(approvalId, 'approve', number === '42' ? '43' : '42', time), number }],
      ['signed at another time', { ...good, time: time + 1 }],
      ['signed for another approval', { ...phone.answer(other.approvalId, 'approve', number, time) }],
      ['signed by the user’s other phone, naming this one', { ...second.answer(approvalId, 'approve', number, time), deviceId: phone.deviceId }],
      ['signed by the user’s other phone, naming itself', second.answer(approvalId, 'approve', number, time)],
      ['signed by another user’s phone', alicePhone.answer(approvalId, 'approve', number, time)],
      ['unknown device id', { ...good, deviceId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ];
    for (const [name, body] of cases) {
      const res = await answer(approvalId, body);
      expect([name, res.status, res.json]).toEqual([name, 401, { error: 'bad_signature' }]);
    }
    await stillPending(user, approvalId);
    expect((await answer(approvalId, good)).json).toMatchObject({ result: 'approved' });
  });

  it.each([
    ['no signature', (b: Record<string, unknown>) => ({ ...b, signature: undefined })],
    ['no device id', (b: Record<string, unknown>) => ({ ...b, deviceId: undefined })],
    ['no time', (b: Record<string, unknown>) => ({ ...b, time: undefined })],
    ['time as a string', (b: Record<string, unknown>) => ({ ...b, time: String(b.time) })],
    ['fractional time', (b: Record<string, unknown>) => ({ ...b, time: 1.5 })],
    ['unknown decision', (b: Record<string, unknown>) => ({ ...b, decision: 'maybe' })],
    ['a number with deny', (b: Record<string, unknown>) => ({ ...b, decision: 'deny' })],
    ['an extra field', (b: Record<string, unknown>) => ({ ...b, admin: true })],
    ['an array', () => [1, 2]],
    ['null', () => null],
  ])('malformed answer: %s → 400', async (_name, change) => {
    const { user, approvalId, number } = await requestPush(h, 'bob', phone);
    const res = await answer(approvalId, JSON.parse(JSON.stringify(change(phone.answer(approvalId, 'approve', number)))));
    expect([res.status, res.json]).toEqual([400, { error: 'malformed' }]);
    await stillPending(user, approvalId);
  });

  it.each([
    ['not JSON', '{"deviceId":'],
    ['empty', ''],
  ])('an answer body that is %s → 400', async (_name, body) => {
    const { approvalId } = await requestPush(h, 'bob', phone);
    expect((await answer(approvalId, body)).status).toBe(400);
  });

  it('an answer body over 16 KiB → 413, JSON', async () => {
    const { approvalId } = await requestPush(h, 'bob', phone);
    const res = await answer(approvalId, { pad: 'x'.repeat(17 * 1024) });
    expect([res.status, res.json]).toEqual([413, { error: 'too_large' }]);
  });

  it.each(['unknown', 'AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAA.', 'A'.repeat(300), '%00'])('an answer for an unknown approval %j → 410', async (id) => {
    const res = await answer(encodeURIComponent(id), phone.answer(id, 'deny'));
    expect([res.status, res.json]).toEqual([410, { error: 'expired' }]);
  });

  it('a replayed answer is refused as seen before (401); a fresh one finds the approval answered (410), whatever it says', async () => {
    const { approvalId, number } = await requestPush(h, 'bob', phone);
    const approve = phone.answer(approvalId, 'approve', number);
    expect((await answer(approvalId, approve)).status).toBe(200);
    const again = await answer(approvalId, approve);
    expect([again.status, again.json]).toEqual([401, { error: 'bad_signature' }]);
    expect((await answer(approvalId, phone.answer(approvalId, 'deny'))).status).toBe(410);
    expect((await answer(approvalId, phone.answer(approvalId, 'not_me'))).status).toBe(410);
  });

  it('a captured wrong answer sent again and again counts once, against the real regulator; the right answer still approves', async () => {
    const { user, approvalId, number } = await requestPush(h, 'alice', alicePhone);
    const before = (await h.gateway.ctx.regulator.lockState('alice')).recentFailures;
    const audited = (await events('push.wrong_number', 'alice')).length;
    const wrong = alicePhone.answer(approvalId, 'approve', number === '99' ? '98' : String(Number(number) + 1));
    expect((await answer(approvalId, wrong)).status).toBe(409);
    const copies = await Promise.all(Array.from({ length: 10 }, () => answer(approvalId, wrong)));
    for (let i = 0; i < 5; i++) copies.push(await answer(approvalId, wrong));
    for (const res of copies) expect([res.status, res.json]).toEqual([401, { error: 'bad_signature' }]);
    expect((await h.gateway.ctx.regulator.lockState('alice')).recentFailures).toBe(before + 1);
    expect(await events('push.wrong_number', 'alice')).toHaveLength(audited + 1);
    await stillPending(user, approvalId);
    expect((await answer(approvalId, alicePhone.answer(approvalId, 'approve', number))).json).toMatchObject({ result: 'approved' });
  });

  it('parallel answers: exactly one wins', async () => {
    const { approvalId, number } = await requestPush(h, 'bob', phone);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => answer(approvalId, phone.answer(approvalId, 'approve', number, Date.now() + i))));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(410)]);
  });

  it('another session cannot see or complete an approval, even approved', async () => {
    const { approvalId, number } = await requestPush(h, 'bob', phone);
    const thief = browser(h, await h.signIn('bob'));
    expect((await thief.get(`/second-factor/push/${approvalId}`)).status).toBe(404);
    expect((await answer(approvalId, phone.answer(approvalId, 'approve', number))).status).toBe(200);
    expect((await thief.get(`/second-factor/push/${approvalId}`)).status).toBe(404);
    const csrf = csrfFieldOf((await thief.get(`/second-factor?rd=${encodeURIComponent(SECURE)}`)).body)!;
    const steal = await thief.post(`/second-factor/push/${approvalId}/complete`, { csrf, rd: SECURE });
    expect(steal.status).toBe(410);
    expect((await thief.get('/secure/vault', APP)).status).toBe(302);
  });

  it('completion needs the CSRF token and the portal origin', async () => {
    const { user, approvalId, number } = await requestPush(h, 'bob', phone);
    expect((await answer(approvalId, phone.answer(approvalId, 'approve', number))).status).toBe(200);
    expect((await user.post(`/second-factor/push/${approvalId}/complete`, { csrf: 'wrong', rd: SECURE })).status).toBe(403);
    expect((await user.get('/secure/vault', APP)).status).toBe(302);
  });

  it('a wrong number is refused (409) and counted; the approval stays pending until the right one', async () => {
    const { user, approvalId, number } = await requestPush(h, 'bob', phone);
    const before = (await h.gateway.ctx.regulator.lockState('bob')).recentFailures;
    const wrong = number === '99' ? '98' : String(Number(number) + 1);
    const res = await answer(approvalId, phone.answer(approvalId, 'approve', wrong));
    expect([res.status, res.json]).toEqual([409, { error: 'wrong_number' }]);
    expect((await h.gateway.ctx.regulator.lockState('bob')).recentFailures).toBe(before + 1);
    await stillPending(user, approvalId);
    expect((await events('push.wrong_number', 'bob')).length).toBe(1);
    expect((await answer(approvalId, phone.answer(approvalId, 'approve', number))).json).toMatchObject({ result: 'approved' });
  });

  // Signed as the companion signs: a string number as sent, anything else as "" (push-service.test.ts has the full table).
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['null', null],
    ['a JSON number', 42],
    ['an array', [4, 2]],
    ['one digit', '7'],
    ['three digits', '123'],
    ['letters', 'ab'],
    ['full-width digits', '４２'],
  ])('an approval whose number is %s is a wrong number: 409, counted, still pending', async (_name, bad) => {
    const { user, approvalId } = await requestPush(h, 'bob', phone);
    const before = (await h.gateway.ctx.regulator.lockState('bob')).recentFailures;
    const body = { ...phone.answer(approvalId, 'approve', typeof bad === 'string' ? bad : ''), number: bad };
    const res = await answer(approvalId, body);
    expect([res.status, res.json]).toEqual([409, { error: 'wrong_number' }]);
    expect((await h.gateway.ctx.regulator.lockState('bob')).recentFailures).toBe(before + 1);
    await stillPending(user, approvalId);
  });

  it('three approvals without a number deny the approval; unsigned ones count for nothing', async () => {
    const { user, approvalId, number } = await requestPush(h, 'bob', phone);
    const before = (await h.gateway.ctx.regulator.lockState('bob')).recentFailures;
    const bare = (time: number) => {
      const { number: _omitted, ...rest } = phone.answer(approvalId, 'approve', '', time);
      return rest;
    };
    for (let i = 0; i < 5; i++) expect((await answer(approvalId, { ...bare(Date.now() + i), signature: randomBytes(64).toString('base64url') })).status).toBe(401);
    expect((await h.gateway.ctx.regulator.lockState('bob')).recentFailures).toBe(before);
    await stillPending(user, approvalId);
    for (let i = 0; i < 3; i++) expect((await answer(approvalId, bare(Date.now() + i))).status).toBe(409);
    expect(JSON.parse((await user.get(`/second-factor/push/${approvalId}`)).body)).toEqual({ state: 'denied' });
    expect((await answer(approvalId, phone.answer(approvalId, 'approve', number))).status).toBe(410);
    expect((await h.gateway.ctx.regulator.lockState('bob')).recentFailures).toBe(before + 3);
  });

  it('three wrong numbers deny the approval', async () => {
    const { user, approvalId, number } = await requestPush(h, 'alice', alicePhone);
    const wrong = number === '99' ? '98' : String(Number(number) + 1);
    for (let i = 0; i < 3; i++) expect((await answer(approvalId, phone.answer(approvalId, 'approve', wrong))).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await answer(approvalId, alicePhone.answer(approvalId, 'approve', wrong, Date.now() + i))).status).toBe(409);
    expect(JSON.parse((await user.get(`/second-factor/push/${approvalId}`)).body)).toEqual({ state: 'denied' });
    expect((await answer(approvalId, alicePhone.answer(approvalId, 'approve', number))).status).toBe(410);
    expect(await events('push.denied', 'alice')).toHaveLength(1);
  });

  // The lock also ends the account's sessions; redeem-approval.test.ts covers a session that outlives it.
  it('a locked account: the answer gets 423, and an approval given before the lock does not complete', async () => {
    const regulator = h.gateway.ctx.regulator;
    const first = await requestPush(h, 'bob', phone);
    const second = await askAgain(first.user, phone);
    expect((await answer(second.approvalId, phone.answer(second.approvalId, 'approve', second.number))).status).toBe(200);
    await regulator.lock('bob', { reason: 'admin', actor: 'test' });
    try {
      const res = await answer(first.approvalId, phone.answer(first.approvalId, 'approve', first.number));
      expect([res.status, res.json]).toEqual([423, { error: 'locked' }]);
      const done = await first.user.post(`/second-factor/push/${second.approvalId}/complete`, { csrf: second.csrf, rd: SECURE });
      expect(done.status).toBe(303);
      expect(done.headers.location).toMatch(/^http:\/\/auth\.localhost\/\?rd=/);
      expect((await first.user.get('/secure/vault', APP)).status).toBe(302);
    } finally {
      await regulator.unlock('bob', { actor: 'test' });
    }
  });
});
