import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import { configSchema } from '../config/schema.js';
import { createFixedClock } from '../core/clock.js';
import { createSilentLogger } from '../core/logger.js';
import type { Factor } from '../factors/factor.js';
import { generateHotp, generateTotp } from '../factors/otp/generate-otp.js';
import { createOtpFactor } from '../factors/otp/otp-factor.js';
import { createApprovalStore } from '../factors/push/push-approvals.js';
import { createPushFactor } from '../factors/push/push-factor.js';
import { redeemApproval } from '../factors/push/redeem-approval.js';
import { createRecoveryCodeFactor, regenerateRecoveryCodes } from '../factors/recovery/recovery-codes.js';
import { createSoftAuthenticator } from '../factors/webauthn/testing/soft-authenticator.js';
import { webauthnConfig } from '../factors/webauthn/testing/webauthn-fixture.js';
import { createWebAuthnFactor } from '../factors/webauthn/webauthn-factor.js';
import { createWebAuthnService } from '../factors/webauthn/webauthn-service.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import type { Kv } from '../kv/kv.js';
import { createRegulator } from '../regulation/create-regulator.js';
import type { Regulator } from '../regulation/regulator.js';
import { createSessionStore, type SessionStore } from '../session/session-store.js';
import type { Session } from '../session/session.js';
import type { Storage } from '../storage/storage.js';
import { openTestStorage } from '../storage/testing/test-storage.js';
import { attemptKindOf, completeSecondFactor, secondFactorBinding } from './complete-second-factor.js';

/**
 * "Every factor attempt is regulated and audited" as one function's property: the same checks
 * for every kind of second factor, each with its real verifier — a typed TOTP or HOTP code, a
 * recovery code, a WebAuthn assertion from a software authenticator bound to the session, a
 * push approval answered on the phone. Regulation first (a refused attempt is not verified,
 * failures are counted, parallel attempts too), one audit event per attempt, and a new session
 * id on success.
 */

const NOW = Date.UTC(2026, 2, 2, 10, 0, 0);
const ALICE = { username: 'alice', displayName: 'Alice', email: 'alice@corp.example', groups: [] };
const IP = '192.0.2.10';
const RETRIES = 3;
const PORTAL = new URL('https://login.example.com/');
const otpParams = { digits: 6 as const, algorithm: 'SHA1' as const, period: 30 };

let clock: ReturnType<typeof createFixedClock>;
let kv: Kv;
let storage: Storage;
let sessions: SessionStore;
let regulator: Regulator;
let events: AuditInput[];
let results: Array<[string, string]>;

beforeEach(() => {
  clock = createFixedClock(NOW);
  kv = createMemoryKv({ clock });
  storage = openTestStorage();
  events = [];
  results = [];
  sessions = createSessionStore({ kv, clock, logger: createSilentLogger() }, { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 0 });
  const quiet: AuditLog = { record: async () => undefined, flush: async () => undefined, close: () => undefined };
  regulator = createRegulator(
    { kv, clock, audit: quiet, endSessions: (u) => sessions.destroyAllForUser(u) },
    {
      account: { max_retries: RETRIES, find_time: 600, ban_time: 900 },
      address: { max_retries: 1000, find_time: 600, ban_time: 900 },
      lockout: { max_failures: 50, find_time: 86400, duration: 3600 },
    },
  );
});
afterEach(() => storage.close());

const deps = () => ({
  sessions,
  storage,
  regulator,
  audit: { record: async (e: AuditInput) => void events.push(e), flush: async () => undefined, close: () => undefined } satisfies AuditLog,
  now: clock.now,
  onResult: (factor: string, result: 'success' | 'failure') => void results.push([factor, result]),
});

/** One signed-in session (password done), as the second step finds it. */
async function signedIn() {
  return sessions.create({ user: ALICE, factor: { kind: 'password', at: NOW - 1000 }, rememberMe: false });
}

/** A factor on real storage, and how to make a right and a wrong answer for a session. */
interface Row {
  kind: Factor['kind'];
  factor: Factor;
  deviceId?: string;
  right(token: string): Promise<unknown>;
  wrong(token: string): Promise<unknown>;
  /** The audit kind of a wrong answer. */
  failure: 'second_factor.failure' | 'second_factor.replay';
}

const ROWS: Array<{ kind: Factor['kind']; make: () => Promise<Row> }> = [
  {
    kind: 'totp',
    async make() {
      const secret = randomBytes(20);
      const device = await storage.otpDevices.create({ username: 'alice', kind: 'totp', name: 'Phone', secret, ...otpParams, serial: null, confirmed: true }, NOW - 86400_000);
      const config = configSchema.shape.second_factors.parse({});
      return {
        kind: 'totp',
        factor: createOtpFactor({ storage, kv }, { kind: 'totp', config }),
        deviceId: device.id,
        right: async () => generateTotp(secret, clock.now(), otpParams),
        wrong: async () => (generateTotp(secret, clock.now(), otpParams) === '000000' ? '111111' : '000000'),
        failure: 'second_factor.failure',
      };
    },
  },
  {
    kind: 'hotp',
    async make() {
      const secret = randomBytes(20);
      const device = await storage.otpDevices.create(
        { username: 'alice', kind: 'hotp', name: 'Token', secret, ...otpParams, serial: 'T-1', confirmed: true, counter: 0 },
        NOW - 86400_000,
      );
      const config = configSchema.shape.second_factors.parse({});
      let next = 0;
      return {
        kind: 'hotp',
        factor: createOtpFactor({ storage, kv }, { kind: 'hotp', config }),
        deviceId: device.id,
        right: async () => generateHotp(secret, next++, otpParams),
        wrong: async () => generateHotp(secret, 1000 + next++, otpParams),
        failure: 'second_factor.failure',
      };
    },
  },
  {
    kind: 'recovery_code',
    async make() {
      const codes = await regenerateRecoveryCodes(storage, 'alice', 10, NOW - 86400_000);
      return {
        kind: 'recovery_code',
        factor: createRecoveryCodeFactor({ storage }),
        right: async () => codes.shift(),
        wrong: async () => 'ZZZZ-ZZZZ-ZZZZ',
        failure: 'second_factor.failure',
      };
    },
  },
  {
    kind: 'webauthn',
    async make() {
      const audit: AuditLog = { record: async () => undefined, flush: async () => undefined, close: () => undefined };
      const service = createWebAuthnService({ storage, kv, logger: createSilentLogger(), audit }, { config: webauthnConfig(), portalUrl: PORTAL });
      const key = createSoftAuthenticator({ origin: PORTAL.origin });
      const creation = await service.registrationOptions({ username: 'alice', binding: 'registration', now: clock.now() });
      const registered = await service.verifyRegistration({ username: 'alice', binding: 'registration', response: key.register(creation), name: 'Key', now: clock.now() });
      if (!registered.ok) throw new Error(registered.reason);
      // Options as the WebAuthn router issues them: bound to the session that will answer.
      const assertion = async (token: string, overrides = {}) =>
        key.authenticate(await service.authenticationOptions({ username: 'alice', binding: secondFactorBinding(sessions, token)!, now: clock.now() }), overrides);
      return {
        kind: 'webauthn',
        factor: createWebAuthnFactor(service),
        right: (token) => assertion(token),
        wrong: (token) => assertion(token, { origin: 'https://evil.example' }),
        failure: 'second_factor.failure',
      };
    },
  },
  {
    kind: 'push',
    async make() {
      const approvals = createApprovalStore(kv);
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
      const phone = await storage.pushDevices.create({ username: 'alice', name: 'Pixel', publicKey, subscription: null, otpDeviceId: null }, NOW - 86400_000);
      // An approval this session asked for, answered on the phone.
      const answered = async (token: string, state: 'approved' | 'denied') => {
        const record = await approvals.create(
          { username: 'alice', deviceId: phone.id, sessionId: secondFactorBinding(sessions, token)!, site: 'app.corp.example', ip: IP, browser: 'Firefox', os: 'Linux' },
          clock.now(),
          120,
        );
        await approvals.settle(record, state, clock.now());
        return record.approvalId;
      };
      return {
        kind: 'push',
        factor: createPushFactor({ storage, redeem: (id, binding) => redeemApproval({ approvals, regulator, clock }, id, binding) }),
        right: (token) => answered(token, 'approved'),
        wrong: (token) => answered(token, 'denied'),
        failure: 'second_factor.failure',
      };
    },
  },
];

/** The factor, counting its verify calls. */
function counted(row: Row) {
  const calls = { count: 0 };
  const factor: Factor = { ...row.factor, verify: (input) => (calls.count++, row.factor.verify(input)) };
  return { factor, calls };
}

const attempt = async (row: Row, factor: Factor, token: string, response: unknown, session?: Session) => {
  session ??= (await sessions.read(token))!;
  return completeSecondFactor(deps(), { token, session, factor, deviceId: row.deviceId, response, clientIp: IP, userAgent: 'Test/1', site: 'app' });
};

const failuresOf = async () => (await regulator.lockState('alice')).recentFailures;

describe.each(ROWS)('completeSecondFactor with $kind', ({ kind, make }) => {
  it('a right answer: the factor in the session under a new id, last used, one success event, one success metric', async () => {
    const row = await make();
    const { token } = await signedIn();
    const result = await attempt(row, row.factor, token, await row.right(token));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.token).not.toBe(token);
    expect(await sessions.read(token)).toBeNull();
    const used = result.session.factors.find((f) => f.kind === kind);
    expect(used).toMatchObject({ kind, at: NOW });
    expect((await sessions.read(result.token))?.factors.map((f: { kind: string }) => f.kind)).toEqual(['password', kind]);
    expect(await storage.userState.get('alice')).toMatchObject({ lastFactorKind: kind, lastDeviceId: used!.device });
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'second_factor.success',
        subject: 'alice',
        clientIp: IP,
        site: 'app',
        details: expect.objectContaining({ factor: kind, device: used!.device }),
      }),
    ]);
    expect(results).toEqual([[kind, 'success']]);
  });

  it('a wrong answer: counted once, one failure event, one failure metric, the session untouched', async () => {
    const row = await make();
    const { token } = await signedIn();
    const result = await attempt(row, row.factor, token, await row.wrong(token));
    expect(result.ok).toBe(false);
    expect(await failuresOf()).toBe(1);
    expect(events).toEqual([expect.objectContaining({ kind: row.failure, subject: 'alice', details: expect.objectContaining({ factor: kind }) })]);
    expect(results).toEqual([[kind, 'failure']]);
    expect((await sessions.read(token))?.factors.map((f: { kind: string }) => f.kind)).toEqual(['password']);
  });

  it.each([
    [
      'banned for this kind',
      async () => {
        for (let i = 0; i < RETRIES; i++) await regulator.recordFailure({ username: 'alice', kind: attemptKindOf(kind), ip: '198.51.100.1' });
      },
    ],
    ['locked', () => regulator.lock('alice', { reason: 'admin', actor: 'root' })],
  ])('%s: even a right answer is refused without being verified, one throttled event, nothing counted', async (_state, refuse) => {
    const row = await make();
    const { token, session } = await signedIn();
    const answer = await row.right(token);
    // (A lock also ends the user's sessions: the request in flight still carries the one it read.)
    await refuse();
    const before = await failuresOf();
    const { factor, calls } = counted(row);
    expect(await attempt(row, factor, token, answer, session)).toEqual({ ok: false, reason: 'throttled' });
    expect(calls.count).toBe(0);
    expect(await failuresOf()).toBe(before);
    expect(events).toEqual([expect.objectContaining({ kind: 'second_factor.throttled', subject: 'alice', details: expect.objectContaining({ factor: kind }) })]);
    expect(results).toEqual([]);
  });

  it('parallel wrong answers: no more are verified than the budget allows, every one is audited once', async () => {
    const row = await make();
    const { token } = await signedIn();
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await row.wrong(token));
    const { factor, calls } = counted(row);
    const outcomes = await Promise.all(answers.map((answer) => attempt(row, factor, token, answer)));
    expect(calls.count).toBeLessThanOrEqual(RETRIES);
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(outcomes.filter((o) => !o.ok && o.reason === 'throttled')).toHaveLength(12 - calls.count);
    expect(await failuresOf()).toBe(calls.count);
    expect(events).toHaveLength(12);
    expect(events.filter((e) => e.kind === 'second_factor.throttled')).toHaveLength(12 - calls.count);
  });

  it('a success resets the kind’s own counter, so the budget is whole again', async () => {
    const row = await make();
    const { token } = await signedIn();
    for (let i = 0; i < RETRIES - 1; i++) await attempt(row, row.factor, token, await row.wrong(token));
    const result = await attempt(row, row.factor, token, await row.right(token));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect((await regulator.check({ username: 'alice', kind: attemptKindOf(kind), ip: IP })).ok).toBe(true);
    const again = await attempt(row, row.factor, result.token, await row.wrong(result.token));
    expect(again).toMatchObject({ ok: false });
    expect(again).not.toMatchObject({ reason: 'throttled' });
  });
});

describe('completeSecondFactor, kinds apart', () => {
  it('a WebAuthn challenge issued for another session is not this session’s: refused as a replay and counted', async () => {
    const row = await ROWS.find((r) => r.kind === 'webauthn')!.make();
    const mine = await signedIn();
    const other = await signedIn();
    const result = await attempt(row, row.factor, mine.token, await row.right(other.token));
    expect(result).toEqual({ ok: false, reason: 'replayed', detail: 'challenge-expired' });
    expect(events).toEqual([expect.objectContaining({ kind: 'second_factor.replay', reason: 'challenge-expired' })]);
    expect(await failuresOf()).toBe(1);
  });

  it('records the authenticator’s UV flag in the session', async () => {
    const row = await ROWS.find((r) => r.kind === 'webauthn')!.make();
    const { token } = await signedIn();
    const result = await attempt(row, row.factor, token, await row.right(token));
    expect(result.ok && result.session.factors.find((f) => f.kind === 'webauthn')).toMatchObject({ userVerified: true });
  });

  it('a push approval not answered yet is no attempt: nothing verified twice, counted, audited or measured', async () => {
    const row = await ROWS.find((r) => r.kind === 'push')!.make();
    const { token } = await signedIn();
    const approvals = createApprovalStore(kv);
    const phone = (await storage.pushDevices.listForUser('alice'))[0]!;
    const pending = await approvals.create(
      { username: 'alice', deviceId: phone.id, sessionId: secondFactorBinding(sessions, token)!, site: 'x', ip: IP, browser: 'Firefox', os: 'Linux' },
      NOW,
      120,
    );
    expect(await attempt(row, row.factor, token, pending.approvalId)).toEqual({ ok: false, reason: 'pending', detail: 'pending' });
    expect(await failuresOf()).toBe(0);
    expect(events).toEqual([]);
    expect(results).toEqual([]);
  });

  it('a push approval is redeemed once, and only by the session that asked for it', async () => {
    const row = await ROWS.find((r) => r.kind === 'push')!.make();
    const mine = await signedIn();
    const other = await signedIn();
    const approvalId = await row.right(mine.token);
    expect(await attempt(row, row.factor, other.token, approvalId)).toEqual({ ok: false, reason: 'expired', detail: 'not_found' });
    const first = await attempt(row, row.factor, mine.token, approvalId);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(await attempt(row, row.factor, first.token, approvalId)).toMatchObject({ ok: false, reason: 'expired' });
    expect(events.map((e) => e.kind)).toEqual(['second_factor.failure', 'second_factor.success', 'second_factor.failure']);
    expect(events[1]?.details).toMatchObject({ factor: 'push', approval: approvalId });
  });

  it('a session that ended meanwhile gets no factor: the answer is spent and nothing is rotated', async () => {
    const row = await ROWS.find((r) => r.kind === 'totp')!.make();
    const { token, session } = await signedIn();
    const code = await row.right(token);
    await sessions.destroy(token);
    const result = await completeSecondFactor(deps(), { token, session, factor: row.factor, deviceId: row.deviceId, response: code, clientIp: IP });
    expect(result).toEqual({ ok: false, reason: 'expired' });
    expect(await sessions.listForUser('alice')).toEqual([]);
  });
});
