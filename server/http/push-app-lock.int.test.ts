import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { answerText, appLockChallenge } from '../../client/companion/push-wire-format.js';
import { createSoftAuthenticator, type Overrides, type SoftAuthenticator } from '../factors/webauthn/testing/soft-authenticator.js';
import { createSoftCompanion, type SoftCompanion } from '../factors/push/testing/soft-companion.js';
import { api, requestPush, startPushHarness } from '../factors/push/testing/push-harness.js';
import { PORTAL } from '../testing/gateway-harness.js';

/**
 * The phone app lock (push.require_user_verification): the companion's WebAuthn credential,
 * made with user verification at enrollment, must sign each approval's challenge.
 */

type Harness = Awaited<ReturnType<typeof startPushHarness>>;
let h: Harness;
const ORIGIN = `http://${PORTAL}`;
beforeAll(async () => {
  h = await startPushHarness({ max_requests: 100, require_user_verification: true });
});
afterAll(() => h?.close());

const events = (kind: string, subject: string) => h.gateway.ctx.storage.auditEvents.query({ kind, subject, limit: 100 });

async function lockOptions(token: string) {
  const res = await api(h, 'POST', '/enroll/app-lock', { token });
  return { res, options: res.json.options as PublicKeyCredentialCreationOptionsJSON };
}

interface LockedPhone {
  phone: SoftCompanion;
  lock: SoftAuthenticator;
  credentialId: string;
}

/** Enrolls a phone through the real API with its app lock. */
async function enrollLockedPhone(username: string): Promise<LockedPhone> {
  const phone = createSoftCompanion();
  const lock = createSoftAuthenticator({ origin: ORIGIN, transports: ['internal'] });
  const { token } = await h.gateway.ctx.push!.startEnrollment(username);
  const { options } = await lockOptions(token);
  const appLock = lock.register(options);
  const res = await api(h, 'POST', '/enroll', { token, publicKey: phone.publicKey, name: 'Locked phone', subscription: null, appLock });
  if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${res.body}`);
  phone.deviceId = res.json.deviceId as string;
  return { phone, lock, credentialId: appLock.id };
}

/** An approve as the companion sends it: signed by the device key, with the lock's assertion over this answer. */
async function lockedApprove(p: LockedPhone, approvalId: string, number: string, overrides: Overrides & { challengeFor?: string; time?: number } = {}) {
  const time = overrides.time ?? Date.now();
  const body = p.phone.answer(approvalId, 'approve', number, time);
  const challenge = await appLockChallenge(answerText({ approvalId: overrides.challengeFor ?? approvalId, decision: 'approve', number, time }));
  const appLock = p.lock.authenticate({ challenge, rpId: 'auth.localhost', allowCredentials: [{ id: p.credentialId, type: 'public-key' }] }, overrides);
  return { ...body, appLock };
}

const answer = (id: string, body: unknown) => api(h, 'POST', `/approvals/${id}`, body);

describe('enrolling a phone with the app lock', () => {
  it('the config tells the companion; options ask a platform authenticator with user verification', async () => {
    expect((await api(h, 'GET', '/config')).json).toMatchObject({ appLock: true });
    const { token } = await h.gateway.ctx.push!.startEnrollment('alice');
    const { res, options } = await lockOptions(token);
    expect(res.status).toBe(200);
    expect(options).toMatchObject({ rp: { id: 'auth.localhost' }, authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required' } });
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['', 'x', 'A'.repeat(43), 42, null])('options for an unknown or malformed link (%j): 410 enrollment_expired', async (token) => {
    const res = await api(h, 'POST', '/enroll/app-lock', { token });
    expect([res.status, res.json.error]).toEqual([410, 'enrollment_expired']);
  });

  it("without the lock's credential: 403 app_lock_required, and the link is not spent", async () => {
    const phone = createSoftCompanion();
    const { token } = await h.gateway.ctx.push!.startEnrollment('alice');
    for (const appLock of [undefined, null]) {
      const res = await api(h, 'POST', '/enroll', { token, publicKey: phone.publicKey, name: 'No lock', subscription: null, ...(appLock === null ? { appLock } : {}) });
      expect([res.status, res.json.error]).toEqual([403, 'app_lock_required']);
    }
    const lock = createSoftAuthenticator({ origin: ORIGIN });
    const { options } = await lockOptions(token);
    const ok = await api(h, 'POST', '/enroll', { token, publicKey: phone.publicKey, name: 'Now locked', subscription: null, appLock: lock.register(options) });
    expect(ok.status).toBe(201);
    const device = await h.gateway.ctx.storage.pushDevices.get(ok.json.deviceId as string);
    expect(device!.appLock).toMatchObject({ credentialId: [...lock.credentials.keys()][0], counter: 0 });
  });

  it.each<[string, (options: PublicKeyCredentialCreationOptionsJSON) => Overrides]>([
    ['no user verification (UV=0)', () => ({ flags: { uv: false } })],
    ['no user presence', () => ({ flags: { up: false } })],
    ['another origin', () => ({ origin: 'http://evil.localhost' })],
    ['another challenge', () => ({ challenge: 'A'.repeat(43) })],
    ['another RP ID', () => ({ rpId: 'evil.localhost' })],
    ['an assertion type', () => ({ type: 'webauthn.get' })],
    ['a cross-origin frame', () => ({ crossOrigin: true })],
  ])('a credential with %s is refused (401 app_lock_refused) and nothing is stored', async (_name, overridesFor) => {
    const phone = createSoftCompanion();
    const lock = createSoftAuthenticator({ origin: ORIGIN });
    const { token } = await h.gateway.ctx.push!.startEnrollment('bob');
    const { options } = await lockOptions(token);
    const before = (await h.gateway.ctx.storage.pushDevices.listForUser('bob')).length;
    const res = await api(h, 'POST', '/enroll', {
      token,
      publicKey: phone.publicKey,
      name: 'Bad lock',
      subscription: null,
      appLock: lock.register(options, overridesFor(options)),
    });
    expect([res.status, res.json.error]).toEqual([401, 'app_lock_refused']);
    expect((await h.gateway.ctx.storage.pushDevices.listForUser('bob')).length).toBe(before);
  });

  it('a registration answer is single use: the same one again is refused', async () => {
    const phone = createSoftCompanion();
    const lock = createSoftAuthenticator({ origin: ORIGIN });
    const { token } = await h.gateway.ctx.push!.startEnrollment('bob');
    const { options } = await lockOptions(token);
    const appLock = lock.register(options);
    const first = await api(h, 'POST', '/enroll', {
      token,
      publicKey: phone.publicKey,
      name: 'Once',
      subscription: null,
      appLock: lock.register(options, { flags: { uv: false } }),
    });
    expect(first.status).toBe(401);
    const again = await api(h, 'POST', '/enroll', { token, publicKey: phone.publicKey, name: 'Once', subscription: null, appLock });
    expect([again.status, again.json.error]).toEqual([401, 'app_lock_refused']);
  });
});

describe('approving with the app lock', () => {
  it("an approve with the lock's assertion (UV) is accepted, and the counter moves on", async () => {
    const p = await enrollLockedPhone('alice');
    const { approvalId, number } = await requestPush(h, 'alice', p.phone);
    const res = await answer(approvalId, await lockedApprove(p, approvalId, number));
    expect([res.status, res.json.result]).toEqual([200, 'approved']);
    expect((await h.gateway.ctx.storage.pushDevices.get(p.phone.deviceId))!.appLock!.counter).toBe(1);
  });

  it('a deny needs no assertion: it can only refuse', async () => {
    const p = await enrollLockedPhone('alice');
    const first = await requestPush(h, 'alice', p.phone);
    expect((await answer(first.approvalId, p.phone.answer(first.approvalId, 'deny'))).json).toMatchObject({ result: 'denied' });
  });

  const refusals: [string, (p: LockedPhone, approvalId: string, number: string, other: LockedPhone) => Promise<unknown>][] = [
    ['without the assertion', async (p, id, n) => p.phone.answer(id, 'approve', n)],
    ['with appLock null', async (p, id, n) => ({ ...p.phone.answer(id, 'approve', n), appLock: null })],
    ['with a malformed assertion', async (p, id, n) => ({ ...p.phone.answer(id, 'approve', n), appLock: { id: 'x' } })],
    ['with a string for the assertion', async (p, id, n) => ({ ...p.phone.answer(id, 'approve', n), appLock: 'yes' })],
    ['with UV=0', (p, id, n) => lockedApprove(p, id, n, { flags: { uv: false } })],
    ['with UP=0', (p, id, n) => lockedApprove(p, id, n, { flags: { up: false } })],
    ['with another phone’s lock', async (p, id, n, other) => ({ ...p.phone.answer(id, 'approve', n), appLock: (await lockedApprove(other, id, n)).appLock })],
    [
      'with another credential of the same authenticator',
      async (p, id, n) => {
        const stranger = createSoftAuthenticator({ origin: ORIGIN });
        stranger.register({ challenge: 'AAAA', rp: { id: 'auth.localhost', name: 'x' }, user: { id: 'dXNlcg', name: 'u', displayName: 'u' }, pubKeyCredParams: [] });
        const time = Date.now();
        const challenge = await appLockChallenge(answerText({ approvalId: id, decision: 'approve', number: n, time }));
        return { ...p.phone.answer(id, 'approve', n, time), appLock: stranger.authenticate({ challenge, rpId: 'auth.localhost' }) };
      },
    ],
    ['with the credential id swapped in but another key signing', (p, id, n, other) => lockedApprove(p, id, n, { signWith: [...other.lock.credentials.values()][0]!.privateKey })],
    ['for another approval', (p, id, n) => lockedApprove(p, id, n, { challengeFor: 'B'.repeat(22) })],
    [
      'for another time than the answer',
      async (p, id, n) => {
        // One time for the answer and its signature (two clock reads a millisecond apart made it a bad signature instead).
        const time = Date.now();
        return { ...(await lockedApprove(p, id, n, { time: time - 1000 })), time, signature: p.phone.answer(id, 'approve', n, time).signature };
      },
    ],
    ['for another origin', (p, id, n) => lockedApprove(p, id, n, { origin: 'http://evil.localhost' })],
    ['for another RP ID', (p, id, n) => lockedApprove(p, id, n, { rpId: 'evil.localhost' })],
    ['of a registration type', (p, id, n) => lockedApprove(p, id, n, { type: 'webauthn.create' })],
    ['with a counter that did not move', (p, id, n) => lockedApprove(p, id, n, { counter: 0 })],
  ];

  it.each(refusals)('an approve %s is refused (401 app_lock_refused), audited and counted; the approval stays pending', async (_name, make) => {
    const p = await enrollLockedPhone('bob');
    const other = await enrollLockedPhone('bob');
    // The lock has been used once, so its counter is above 0 and a counter that does not move shows.
    const warm = await requestPush(h, 'bob', p.phone);
    expect((await answer(warm.approvalId, await lockedApprove(p, warm.approvalId, warm.number))).status).toBe(200);
    const { approvalId, number } = await requestPush(h, 'bob', p.phone);
    const before = (await events('push.app_lock_refused', 'bob')).length;
    const approvedBefore = (await events('push.approved', 'bob')).length;
    const res = await answer(approvalId, await make(p, approvalId, number, other));
    expect([res.status, res.json.error]).toEqual([401, 'app_lock_refused']);
    expect((await events('push.app_lock_refused', 'bob')).length).toBe(before + 1);
    expect((await events('push.approved', 'bob')).length).toBe(approvedBefore);
    // Still pending: the honest answer goes through afterwards.
    const ok = await answer(approvalId, await lockedApprove(p, approvalId, number));
    expect([ok.status, ok.json.result]).toEqual([200, 'approved']);
  });

  it('a replayed approve (the very same body) is refused as seen before: 401, never approved twice', async () => {
    const p = await enrollLockedPhone('alice');
    const { approvalId, number } = await requestPush(h, 'alice', p.phone);
    const body = await lockedApprove(p, approvalId, number);
    expect((await answer(approvalId, body)).status).toBe(200);
    expect([(await answer(approvalId, body)).status, (await answer(approvalId, body)).json]).toEqual([401, { error: 'bad_signature' }]);
    // The same assertion on a new approval: its challenge was for the old one.
    const next = await requestPush(h, 'alice', p.phone);
    const res = await answer(next.approvalId, { ...p.phone.answer(next.approvalId, 'approve', next.number, body.time), appLock: body.appLock });
    expect([res.status, res.json.error]).toEqual([401, 'app_lock_refused']);
  });

  it('a phone enrolled before the lock was required is refused with 403 app_lock_required (add it again); deny still works', async () => {
    const phone = createSoftCompanion();
    const otp = await h.gateway.ctx.storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Old phone', secret: Buffer.alloc(20, 3), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    const device = await h.gateway.ctx.storage.pushDevices.create(
      { username: 'alice', name: 'Old phone', publicKey: Buffer.from(phone.publicKey, 'base64url'), subscription: null, otpDeviceId: otp.id },
      Date.now(),
    );
    phone.deviceId = device.id;
    const { approvalId, number } = await requestPush(h, 'alice', phone);
    const res = await answer(approvalId, phone.answer(approvalId, 'approve', number));
    expect([res.status, res.json.error]).toEqual([403, 'app_lock_required']);
    expect((await answer(approvalId, phone.answer(approvalId, 'deny'))).json).toMatchObject({ result: 'denied' });
  });
});
