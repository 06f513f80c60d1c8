import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../audit/audit-event.js';
import type { AuditLog } from '../../audit/create-audit-log.js';
import { parseConfigText } from '../../config/load-config.js';
import { createFixedClock } from '../../core/clock.js';
import { createSilentLogger } from '../../core/logger.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import type { Attempt, Regulator } from '../../regulation/regulator.js';
import type { Storage } from '../../storage/storage.js';
import { openTestStorage } from '../../storage/testing/test-storage.js';
import { createPushService, type PushService } from './push-service.js';
import { ANSWER_VERSION, answerText } from '../../../client/companion/push-wire-format.js';
import { REDEEM_GRACE_MS } from './push-approvals.js';
import { createSoftCompanion, type SoftCompanion } from './testing/soft-companion.js';

/** A regulator that records what it is told and locks on demand. */
function createFakeRegulator() {
  const failures: Attempt[] = [];
  const successes: Attempt[] = [];
  const locks: Array<{ username: string; reason: string }> = [];
  const locked = new Set<string>();
  let refuse: 'locked' | 'throttled' | undefined;
  const regulator: Regulator = {
    async check() {
      return refuse ? { ok: false, reason: refuse, scope: 'account', retryAfter: 60 } : { ok: true };
    },
    async admit(attempt) {
      return { verdict: await regulator.check(attempt), release: async () => {} };
    },
    async recordFailure(attempt) {
      failures.push(attempt);
      return { locked: false };
    },
    async recordSuccess(attempt) {
      successes.push(attempt);
    },
    isLocked: async (username) => locked.has(username),
    async lockState(username) {
      return { locked: locked.has(username), until: null, reason: null, recentFailures: failures.length };
    },
    async lock(username, input) {
      locks.push({ username, reason: input.reason });
      locked.add(username);
    },
    unlock: async (username) => locked.delete(username),
  };
  return { regulator, failures, successes, locks, locked, refuseWith: (r: typeof refuse) => void (refuse = r) };
}

const config = (push: string) => {
  const loaded = parseConfigText(
    `server: { portal_url: "https://auth.corp.example/" }\nsession: { store: memory }\nauthentication: { users_file: users.yml }\nstorage: { path: x.db, encryption_keys: [{ id: k, key: "${'ab'.repeat(32)}" }] }\naccess_control: { default_policy: deny }\nsecond_factors: { push: ${push} }\n`,
    { env: {}, baseDir: '/tmp' },
  );
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
};

const META = { clientIp: '192.0.2.7', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' };

let storage: Storage;
let clock: ReturnType<typeof createFixedClock>;
let fake: ReturnType<typeof createFakeRegulator>;
let audited: AuditInput[];
let push: PushService;

function start(pushConfig = '{ enabled: true }') {
  const audit: AuditLog = { record: async (e) => void audited.push(e), flush: async () => undefined, close: () => undefined };
  const kv = createMemoryKv({ clock });
  const c = config(pushConfig);
  push = createPushService({ kv, storage, clock, logger: createSilentLogger(), audit, regulator: fake.regulator }, { config: c.second_factors, portalUrl: c.server.portal_url });
}

beforeEach(() => {
  storage = openTestStorage();
  clock = createFixedClock(Date.now());
  fake = createFakeRegulator();
  audited = [];
  start();
});
afterEach(async () => {
  await push?.close();
  storage.close();
});

async function enroll(username = 'alice'): Promise<SoftCompanion> {
  const phone = createSoftCompanion();
  const { token, link, expiresAt } = await push.startEnrollment(username);
  expect(link).toBe(`https://auth.corp.example/companion/#enroll=${token}`);
  expect(expiresAt).toBe(clock.now() + 600_000);
  const result = await push.enroll({ token, publicKey: phone.publicKey, name: 'Phone', subscription: null }, META);
  if (!result.ok) throw new Error(result.reason);
  phone.deviceId = result.device.id;
  return phone;
}
const ask = (phone: SoftCompanion, sessionId = 'session-1', username = 'alice') =>
  push.request({ username, deviceId: phone.deviceId, sessionId, site: 'app.corp.example', ...META });

describe('push service', () => {
  it('an approval carries a 2-digit number 10-99, the site, the browser and OS; the number stays out of what the phone sees', async () => {
    const phone = await enroll();
    const numbers = new Set<string>();
    start('{ enabled: true, max_requests: 100 }');
    for (let i = 0; i < 60; i++) {
      const r = await ask(phone);
      if (!r.ok) throw new Error(r.reason);
      expect(r.record.number).toMatch(/^[1-9]\d$/);
      numbers.add(r.record.number);
    }
    expect(numbers.size).toBeGreaterThan(20);
    const [first] = await push.pendingFor(phone.deviceId);
    expect(first).toMatchObject({ site: 'app.corp.example', browser: 'Chrome', os: 'Windows', ip: '192.0.2.7', username: 'alice' });
    expect(Object.keys(first!).sort()).toEqual(['approvalId', 'browser', 'expiresAt', 'ip', 'os', 'requestedAt', 'site', 'username']);
  });

  it('another user’s phone cannot be asked', async () => {
    const bobs = await enroll('bob');
    expect(await ask(bobs)).toEqual({ ok: false, reason: 'no-device' });
    expect(await push.request({ username: 'alice', deviceId: 42, sessionId: 's', site: 'x', ...META })).toEqual({ ok: false, reason: 'no-device' });
  });

  it('regulation refusing push refuses the request before anything is created', async () => {
    const phone = await enroll();
    fake.refuseWith('throttled');
    expect(await ask(phone)).toEqual({ ok: false, reason: 'throttled' });
    expect(await push.pendingFor(phone.deviceId)).toEqual([]);
  });

  it('a locked account at redeem time: an approval given before the lock does not complete', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', number), META)).toEqual({ ok: true, result: 'approved' });
    fake.locked.add('alice');
    expect(await push.redeem(approvalId, 'session-1')).toEqual({ ok: false, reason: 'locked' });
    fake.locked.delete('alice');
    expect(await push.redeem(approvalId, 'session-1')).toMatchObject({ ok: true });
    expect(await push.redeem(approvalId, 'session-1')).toEqual({ ok: false, reason: 'expired' });
  });

  it('an expiry is noticed once, by whichever instance sees it first, even when the creating one has stopped', async () => {
    const phone = await enroll();
    const kv = createMemoryKv({ clock });
    const c = config('{ enabled: true }');
    const audit: AuditLog = { record: async (e) => void audited.push(e), flush: async () => undefined, close: () => undefined };
    const make = () =>
      createPushService({ kv, storage, clock, logger: createSilentLogger(), audit, regulator: fake.regulator }, { config: c.second_factors, portalUrl: c.server.portal_url });
    const creator = make();
    const other = make();
    const r = await creator.request({ username: 'alice', deviceId: phone.deviceId, sessionId: 'session-1', site: 'app.corp.example', ...META });
    if (!r.ok) throw new Error(r.reason);
    const closed: unknown[] = [];
    const stop = await other.listen(phone.deviceId, (event) => closed.push(event));
    await creator.close(); // its expiry timer is gone with it
    expect(await other.status(r.record.approvalId, 'session-1')).toBe('pending');
    clock.advance(30_001);
    for (let i = 0; i < 3; i++) expect(await other.status(r.record.approvalId, 'session-1')).toBe('expired');
    expect(audited.filter((e) => e.kind === 'push.expired')).toEqual([expect.objectContaining({ subject: 'alice', site: 'app.corp.example' })]);
    expect(closed).toEqual([{ event: 'closed', data: { approvalId: r.record.approvalId } }]);
    await stop();
    await other.close();
  });

  it('redeem: only the session it is bound to, only approved, only within the grace after expiry', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    expect(await push.redeem(approvalId, 'session-1')).toEqual({ ok: false, reason: 'pending' });
    await push.answer(approvalId, phone.answer(approvalId, 'approve', number), META);
    expect(await push.redeem(approvalId, 'session-2')).toEqual({ ok: false, reason: 'not_found' });
    expect(await push.redeem(approvalId, undefined)).toEqual({ ok: false, reason: 'not_found' });
    expect(await push.status(approvalId, 'session-2')).toBeUndefined();
    clock.advance(30_000 + REDEEM_GRACE_MS + 1);
    expect(await push.redeem(approvalId, 'session-1')).toEqual({ ok: false, reason: 'expired' });
  });

  it('the answer at the expiry instant is refused; one just before is taken', async () => {
    const phone = await enroll();
    const a = await ask(phone);
    const b = await ask(phone);
    if (!a.ok || !b.ok) throw new Error('request refused');
    clock.advance(29_999);
    expect(await push.answer(a.record.approvalId, phone.answer(a.record.approvalId, 'approve', a.record.number), META)).toEqual({ ok: true, result: 'approved' });
    clock.advance(1);
    expect(await push.answer(b.record.approvalId, phone.answer(b.record.approvalId, 'approve', b.record.number), META)).toEqual({ ok: false, reason: 'expired' });
    expect(await push.status(b.record.approvalId, 'session-1')).toBe('expired');
  });

  it('wrong numbers are regulation failures of kind push, against the sign-in’s address', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const wrong = r.record.number === '10' ? '11' : '10';
    expect(await push.answer(r.record.approvalId, phone.answer(r.record.approvalId, 'approve', wrong), { clientIp: '198.51.100.1' })).toEqual({
      ok: false,
      reason: 'wrong_number',
    });
    expect(fake.failures).toEqual([{ username: 'alice', kind: 'push', ip: '192.0.2.7' }]);
    expect(audited.map((e) => e.kind)).toContain('push.wrong_number');
  });

  it('"This wasn\'t me" with on_not_me: lock locks through the regulator; with suspend it does not', async () => {
    start('{ enabled: true, on_not_me: lock }');
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    expect(await push.answer(r.record.approvalId, phone.answer(r.record.approvalId, 'not_me'), META)).toEqual({ ok: true, result: 'reported' });
    expect(fake.locks).toEqual([{ username: 'alice', reason: 'not_me' }]);
    expect(audited.find((e) => e.kind === 'push.not_me')).toMatchObject({ level: 'warn', reason: 'locked' });
  });

  it('suspension lasts suspend_time', async () => {
    start('{ enabled: true, suspend_time: 10m, max_requests: 10 }');
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    await push.answer(r.record.approvalId, phone.answer(r.record.approvalId, 'not_me'), META);
    expect(fake.locks).toEqual([]);
    expect(await ask(phone)).toEqual({ ok: false, reason: 'suspended' });
    clock.advance(10 * 60_000 + 1000);
    expect((await ask(phone)).ok).toBe(true);
  });

  it('the rate limit window passes', async () => {
    start('{ enabled: true, max_requests: 2, request_window: 1m }');
    const phone = await enroll();
    expect((await ask(phone)).ok).toBe(true);
    expect((await ask(phone)).ok).toBe(true);
    expect(await ask(phone)).toEqual({ ok: false, reason: 'rate_limited' });
    clock.advance(61_000);
    expect((await ask(phone)).ok).toBe(true);
  });

  it('an expired enrollment link counts as a failed attempt from that address; a malformed body does not burn the link', async () => {
    const phone = createSoftCompanion();
    const { token } = await push.startEnrollment('alice');
    expect(await push.enroll({ token, publicKey: 'x', name: 'Phone', subscription: null }, META)).toEqual({ ok: false, reason: 'malformed' });
    expect(fake.failures).toEqual([]);
    clock.advance(600_001);
    expect(await push.enroll({ token, publicKey: phone.publicKey, name: 'Phone', subscription: null }, META)).toEqual({ ok: false, reason: 'enrollment_expired' });
    expect(fake.failures).toEqual([{ kind: 'enrollment_code', ip: '192.0.2.7' }]);
    expect(await storage.pushDevices.listForUser('alice')).toEqual([]);
  });

  it('the push factor lists the user’s phones, cannot verify from a form, and removes only the user’s own', async () => {
    const phone = await enroll();
    const bobs = await enroll('bob');
    expect((await push.factor.listDevices('alice')).map((d) => [d.id, d.kind])).toEqual([[phone.deviceId, 'push']]);
    expect(await push.factor.verify({ username: 'alice', response: '12', now: clock.now() })).toEqual({ ok: false, reason: 'malformed' });
    expect(await push.factor.remove('alice', bobs.deviceId)).toBe(false);
    expect(await push.factor.remove('alice', phone.deviceId)).toBe(true);
    expect(await push.factor.listDevices('alice')).toEqual([]);
  });

  it('the live channel hands events to the phone they are for, and stops when told', async () => {
    const phone = await enroll();
    const other = await enroll('bob');
    const seen: string[] = [];
    const stop = await push.listen(phone.deviceId, (e) => seen.push(e.event));
    const stopOther = await push.listen(other.deviceId, (e) => seen.push(`other:${e.event}`));
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    await push.answer(r.record.approvalId, phone.answer(r.record.approvalId, 'deny'), META);
    expect(seen).toEqual(['approval', 'closed']);
    stop();
    stopOther();
    await ask(phone);
    expect(seen).toEqual(['approval', 'closed']);
  });
});

describe('push answers: every approval without the right number is a counted failure', () => {
  // Signed by the phone as the companion would sign them: a string number as sent, anything else as "".
  const signed = (phone: SoftCompanion, approvalId: string, number: unknown) => {
    const body: Record<string, unknown> = { ...phone.answer(approvalId, 'approve', typeof number === 'string' ? number : ''), number };
    if (number === undefined) delete body.number;
    return body;
  };
  const BAD_NUMBERS: Array<[string, unknown]> = [
    ['missing', undefined],
    ['empty', ''],
    ['null', null],
    ['a JSON number', 42],
    ['zero', 0],
    ['a float', 4.2],
    ['true', true],
    ['an array', ['4', '2']],
    ['an empty array', []],
    ['an object', { value: '42' }],
    ['one digit', '7'],
    ['three digits', '123'],
    ['out of range 00', '00'],
    ['out of range 09', '09'],
    ['out of range 100', '100'],
    ['negative', '-42'],
    ['letters', 'ab'],
    ['spaces', ' 4 2'],
    ['a trailing newline', '42\n'],
    ['full-width digits', '４２'],
    ['a long string', '9'.repeat(500)],
  ];

  it.each(BAD_NUMBERS)('an approval whose number is %s → wrong_number, a push failure and its audit event', async (_name, number) => {
    start('{ enabled: true, max_requests: 100 }');
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    expect(await push.answer(r.record.approvalId, signed(phone, r.record.approvalId, number), META)).toEqual({ ok: false, reason: 'wrong_number' });
    expect(fake.failures).toEqual([{ username: 'alice', kind: 'push', ip: '192.0.2.7' }]);
    expect(audited.filter((e) => e.kind === 'push.wrong_number')).toHaveLength(1);
    expect(await push.status(r.record.approvalId, 'session-1')).toBe('pending');
  });

  it('three approvals without a number deny the approval, like three wrong numbers; mixed kinds count together', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const t = clock.now();
    expect(
      await push.answer(
        approvalId,
        { ...signed(phone, approvalId, undefined), time: t, signature: phone.signText(answerText({ approvalId, decision: 'approve', number: '', time: t })) },
        META,
      ),
    ).toEqual({ ok: false, reason: 'wrong_number' });
    // Each at its own time: one signed answer counts once, and the first one above signed "" at t.
    expect(await push.answer(approvalId, { ...signed(phone, approvalId, null), ...phone.answer(approvalId, 'approve', '', t + 1), number: null }, META)).toEqual({
      ok: false,
      reason: 'wrong_number',
    });
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', number === '10' ? '11' : '10', t + 2), META)).toEqual({ ok: false, reason: 'wrong_number' });
    expect(await push.status(approvalId, 'session-1')).toBe('denied');
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', number), META)).toEqual({ ok: false, reason: 'expired' });
    expect(fake.failures).toHaveLength(3);
    expect(audited.filter((e) => e.kind === 'push.denied')).toEqual([expect.objectContaining({ reason: 'wrong_numbers' })]);
  });

  // Only the phone's own signature makes an answer count: otherwise anyone who learns an approval id
  // (the sign-in page polls it) could burn the account's failure counter and lock the user out.
  it.each(BAD_NUMBERS)('an unsigned or forged approval whose number is %s → bad_signature, nothing counted, still pending', async (_name, number) => {
    start('{ enabled: true, max_requests: 100 }');
    const phone = await enroll();
    const stranger = createSoftCompanion();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId } = r.record;
    const good = signed(phone, approvalId, number);
    const forged: Array<Record<string, unknown>> = [
      { ...good, signature: randomBytes(64).toString('base64url') },
      { ...good, signature: '' },
      { ...signed(stranger, approvalId, number), deviceId: phone.deviceId },
      { ...good, time: (good.time as number) + 1 },
      // Signed for another number than the one sent (the companion signs a non-string number as "").
      { ...phone.answer(approvalId, 'approve', typeof number === 'string' && number !== '' ? '' : '42'), ...(number === undefined ? {} : { number }) },
    ];
    if (number === undefined) delete forged[4]!.number;
    for (const body of forged) expect(await push.answer(approvalId, body, META)).toEqual({ ok: false, reason: 'bad_signature' });
    for (const body of [
      { ...good, signature: undefined },
      { ...good, deviceId: 7 },
      { ...good, time: 'now' },
      { ...good, decision: 'yes' },
      { ...good, extra: 1 },
    ]) {
      expect(await push.answer(approvalId, JSON.parse(JSON.stringify(body)), META)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(fake.failures).toEqual([]);
    expect(audited.filter((e) => e.kind === 'push.wrong_number')).toEqual([]);
    expect(await push.status(approvalId, 'session-1')).toBe('pending');
  });

  it('deny and "This wasn\'t me" carry no number: one with a number is malformed and not counted', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    for (const decision of ['deny', 'not_me'] as const) {
      const t = clock.now();
      // Signed over the number too, as a client that put one in would sign it (answerText leaves it out).
      const signed = [ANSWER_VERSION, approvalId, decision, number, t].join('\n');
      const body = { deviceId: phone.deviceId, decision, number, time: t, signature: phone.signText(signed) };
      expect(await push.answer(approvalId, body, META)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(fake.failures).toEqual([]);
    expect(await push.status(approvalId, 'session-1')).toBe('pending');
  });
});

describe('push answers: each signed answer is used once', () => {
  const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  /** The other valid spelling of an ECDSA signature (s → n − s): same text, different bytes. */
  const malleate = (signature: string) => {
    const raw = Buffer.from(signature, 'base64url');
    const s = P256_ORDER - BigInt(`0x${raw.subarray(32).toString('hex')}`);
    return Buffer.concat([raw.subarray(0, 32), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]).toString('base64url');
  };
  const wrongFor = (number: string) => (number === '10' ? '11' : '10');
  const replays = (body: Record<string, unknown>) => [
    body,
    { ...body },
    { ...body, signature: malleate(body.signature as string) },
    // Reordered keys: the same answer, another spelling of the JSON.
    Object.fromEntries(Object.entries(body).reverse()),
  ];

  it('the same signed wrong answer sent 20 times is counted once: one failure, one audit event, one of the 3', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'wrong_number' });
    for (let i = 0; i < 5; i++) for (const body of replays(wrong)) expect(await push.answer(approvalId, body, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toHaveLength(1);
    expect(audited.filter((e) => e.kind === 'push.wrong_number')).toHaveLength(1);
    // Audited once per answer, however many copies: a loop of them must not flood the audit log.
    expect(audited.filter((e) => e.kind === 'second_factor.replay')).toHaveLength(1);
    expect(audited.find((e) => e.kind === 'second_factor.replay')).toMatchObject({ subject: 'alice', reason: 'replayed', details: { factor: 'push', approval: approvalId } });
    expect(await push.status(approvalId, 'session-1')).toBe('pending');
    // Still one wrong number of the 3: the phone's right answer approves.
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', number, clock.now() + 1), META)).toEqual({ ok: true, result: 'approved' });
  });

  it('bodies that sign the same text are one answer: a number sent as null, 42, [] or left out all sign "" and count once', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId } = r.record;
    const base = phone.answer(approvalId, 'approve', '', clock.now());
    const { number: _left, ...without } = base;
    expect(await push.answer(approvalId, { ...base, number: null }, META)).toEqual({ ok: false, reason: 'wrong_number' });
    for (const body of [base, without, { ...base, number: 42 }, { ...base, number: [] }, { ...base, number: {} }, { ...base, number: true }])
      expect(await push.answer(approvalId, body, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toHaveLength(1);
    expect(await push.status(approvalId, 'session-1')).toBe('pending');
  });

  it('parallel copies of one signed wrong answer: exactly one is counted', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    const results = await Promise.all(Array.from({ length: 12 }, () => push.answer(approvalId, { ...wrong }, META)));
    expect(results.filter((x) => !x.ok && x.reason === 'wrong_number')).toHaveLength(1);
    expect(results.filter((x) => !x.ok && x.reason === 'bad_signature')).toHaveLength(11);
    expect(fake.failures).toHaveLength(1);
  });

  it('three replays of one wrong answer do not deny the approval; three different wrong answers do', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    for (let i = 0; i < 3; i++) await push.answer(approvalId, wrong, META);
    expect(await push.status(approvalId, 'session-1')).toBe('pending');
    for (let i = 1; i <= 2; i++)
      expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', wrongFor(number), clock.now() + i), META)).toEqual({ ok: false, reason: 'wrong_number' });
    expect(await push.status(approvalId, 'session-1')).toBe('denied');
    expect(fake.failures).toHaveLength(3);
  });

  it.each(['approve', 'deny', 'not_me'] as const)('a replayed %s after it settled the approval is refused the same way, nothing counted or reported again', async (decision) => {
    start('{ enabled: true, max_requests: 100, on_not_me: lock }');
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const body = phone.answer(approvalId, decision, decision === 'approve' ? number : '', clock.now());
    expect(await push.answer(approvalId, body, META)).toMatchObject({ ok: true });
    const events = audited.length;
    for (let i = 0; i < 3; i++) for (const copy of replays(body)) expect(await push.answer(approvalId, copy, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toEqual([]);
    expect(fake.locks).toHaveLength(decision === 'not_me' ? 1 : 0);
    expect(audited.slice(events).map((e) => e.kind)).toEqual(['second_factor.replay']);
    // A fresh answer (another time) finds it answered: expired, as before.
    expect(await push.answer(approvalId, phone.answer(approvalId, 'deny', '', clock.now() + 1), META)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a tampered signature is refused and counted for nothing, in every byte; the untampered answer then counts once', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    const raw = Buffer.from(wrong.signature, 'base64url');
    for (const at of [0, 1, 15, 31, 32, 33, 47, 63]) {
      const flipped = Buffer.from(raw);
      flipped.writeUInt8(flipped.readUInt8(at) ^ 0x01, at);
      expect(await push.answer(approvalId, { ...wrong, signature: flipped.toString('base64url') }, META)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    for (const signature of [`${wrong.signature}A`, wrong.signature.slice(1), raw.toString('base64'), Buffer.concat([raw.subarray(32), raw.subarray(0, 32)]).toString('base64url')])
      expect(await push.answer(approvalId, { ...wrong, signature }, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toEqual([]);
    // Tampered copies claimed nothing: the real answer is still its first use.
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'wrong_number' });
    expect(fake.failures).toHaveLength(1);
  });

  it('an answer signed for one approval is refused for another, right number or wrong, and counts on neither', async () => {
    const phone = await enroll();
    const a = await ask(phone);
    const b = await ask(phone);
    if (!a.ok || !b.ok) throw new Error('request refused');
    const t = clock.now();
    for (const number of [a.record.number, b.record.number, wrongFor(a.record.number)]) {
      expect(await push.answer(b.record.approvalId, phone.answer(a.record.approvalId, 'approve', number, t), META)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(await push.answer(b.record.approvalId, phone.answer(a.record.approvalId, 'not_me', '', t), META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toEqual([]);
    expect(await push.status(a.record.approvalId, 'session-1')).toBe('pending');
    expect(await push.status(b.record.approvalId, 'session-1')).toBe('pending');
    // Its own approval still takes it (refused elsewhere, it was not used up).
    expect(await push.answer(a.record.approvalId, phone.answer(a.record.approvalId, 'approve', a.record.number, t), META)).toEqual({ ok: true, result: 'approved' });
  });

  it('an expired approval refuses answers, fresh or replayed, right or wrong, without counting', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'wrong_number' });
    clock.advance(30_000);
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', number, clock.now()), META)).toEqual({ ok: false, reason: 'expired' });
    expect(await push.answer(approvalId, phone.answer(approvalId, 'approve', wrongFor(number), clock.now() + 1), META)).toEqual({ ok: false, reason: 'expired' });
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await push.answer(approvalId, { ...wrong, signature: randomBytes(64).toString('base64url') }, META)).toEqual({ ok: false, reason: 'expired' });
    // Gone from the store altogether: one answer for everything.
    clock.advance(61_000);
    for (const body of [wrong, phone.answer(approvalId, 'approve', number, clock.now())])
      expect(await push.answer(approvalId, body, META)).toEqual({ ok: false, reason: 'expired' });
    expect(fake.failures).toHaveLength(1);
  });

  it('the answer given while the account was locked is used up: unlocked, its copy does not count', async () => {
    const phone = await enroll();
    const r = await ask(phone);
    if (!r.ok) throw new Error(r.reason);
    const { approvalId, number } = r.record;
    const wrong = phone.answer(approvalId, 'approve', wrongFor(number), clock.now());
    fake.locked.add('alice');
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'locked' });
    fake.locked.delete('alice');
    expect(await push.answer(approvalId, wrong, META)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(fake.failures).toEqual([]);
  });
});
