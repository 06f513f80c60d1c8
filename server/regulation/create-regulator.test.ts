import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import { createFixedClock } from '../core/clock.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import type { RegulationConfig } from '../config/schema.js';
import { createRegulator, IN_FLIGHT_MS } from './create-regulator.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Admission, Attempt, AttemptKind } from './regulator.js';

const CONFIG: RegulationConfig = {
  account: { max_retries: 3, find_time: 600, ban_time: 900 },
  address: { max_retries: 10, find_time: 600, ban_time: 900 },
  lockout: { max_failures: 6, find_time: 86400, duration: 3600 },
};

function setup(config: RegulationConfig = CONFIG) {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const events: AuditInput[] = [];
  const ended: string[] = [];
  const started: string[] = [];
  const audit: AuditLog = { record: async (e) => void events.push(e), flush: async () => {}, close: () => {} };
  const regulator = createRegulator({ kv, clock, audit, endSessions: async (u) => ended.push(u), onEvent: (event, kind) => started.push(`${event}:${kind}`) }, config);
  const fail = (kind: AttemptKind, times: number, username = 'alice', ip = '10.0.0.1') =>
    Promise.all(Array.from({ length: times }, () => regulator.recordFailure({ username, kind, ip })));
  return { clock, kv, events, ended, started, regulator, fail };
}

describe('createRegulator', () => {
  it('bans one factor kind after max_retries failures and leaves the others open', async () => {
    const { regulator, fail } = setup();
    await fail('otp', 2);
    expect(await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: true });
    await fail('otp', 1);
    expect(await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'throttled', scope: 'account', retryAfter: 900 });
    expect(await regulator.check({ username: 'alice', kind: 'webauthn', ip: '10.0.0.1' })).toEqual({ ok: true });
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).toEqual({ ok: true });
    expect(await regulator.check({ username: 'bob', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: true });
  });

  it('counts usernames case-insensitively, so "Alice" and "alice " share a counter', async () => {
    const { regulator } = setup();
    for (const username of ['Alice', 'ALICE', 'alice ']) await regulator.recordFailure({ username, kind: 'password', ip: '10.0.0.1' });
    expect((await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).ok).toBe(false);
  });

  it('a ban lasts ban_time from the failure that started it, then the kind opens again', async () => {
    const { regulator, fail, clock } = setup();
    await fail('otp', 3);
    clock.advance(899_000);
    expect((await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).ok).toBe(false);
    clock.advance(2_000);
    expect(await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: true });
  });

  it('the window slides: failures older than find_time no longer count', async () => {
    const { regulator, fail, clock } = setup();
    await fail('otp', 2);
    clock.advance(601_000);
    await fail('otp', 2);
    expect(await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: true });
  });

  it('a success resets only its own kind; the account-wide count stays', async () => {
    const { regulator, fail } = setup({ ...CONFIG, lockout: { ...CONFIG.lockout, max_failures: 20 } });
    await fail('otp', 2);
    await fail('password', 2);
    await regulator.recordSuccess({ username: 'alice', kind: 'password', ip: '10.0.0.1' });
    await fail('password', 2);
    expect((await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).ok).toBe(true);
    await fail('otp', 1);
    expect((await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).ok).toBe(false);
    expect((await regulator.lockState('alice')).recentFailures).toBe(7);
  });

  it('locks the account at the account-wide cap: every kind refused, sessions ended, one audit event under parallel failures', async () => {
    const { regulator, fail, events, ended } = setup();
    const results = await Promise.all([fail('otp', 2), fail('webauthn', 2), fail('recovery_code', 2), fail('push', 2)]);
    expect(results.flat().filter((r) => r.locked).length).toBeGreaterThanOrEqual(1);
    for (const kind of ['password', 'otp', 'push', 'webauthn', 'email_otp'] as const) {
      expect(await regulator.check({ username: 'alice', kind, ip: '10.9.9.9' })).toEqual({ ok: false, reason: 'locked', scope: 'account', retryAfter: 3600 });
    }
    expect(events.filter((e) => e.kind === 'lockout')).toHaveLength(1);
    expect(ended).toEqual(['alice']);
    expect(await regulator.isLocked('ALICE')).toBe(true);
    expect(await regulator.lockState('alice')).toMatchObject({ locked: true, reason: 'failures', recentFailures: 8 });
  });

  it('a timed lock ends by itself; an administrator can end it sooner and the counters start again', async () => {
    const { regulator, fail, clock, events } = setup();
    await Promise.all([fail('otp', 3), fail('webauthn', 3)]);
    expect(await regulator.isLocked('alice')).toBe(true);
    clock.advance(3_601_000);
    expect(await regulator.isLocked('alice')).toBe(false);

    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    expect(await regulator.unlock('alice', { actor: 'root' })).toBe(true);
    expect(await regulator.unlock('alice', { actor: 'root' })).toBe(false);
    expect(await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' })).toEqual({ ok: true });
    expect((await regulator.lockState('alice')).recentFailures).toBe(0);
    // The administrator's tool records the unlock (admin.unlock); the regulator adds nothing.
    expect(events.filter((e) => e.kind === 'unlock')).toEqual([]);
  });

  it('with lockout.duration 0 the lock stays until an administrator unlocks', async () => {
    const { regulator, fail, clock } = setup({ ...CONFIG, lockout: { ...CONFIG.lockout, duration: 0 } });
    await Promise.all([fail('otp', 3), fail('webauthn', 3)]);
    clock.advance(365 * 86400_000);
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'locked', scope: 'account', retryAfter: null });
    expect(await regulator.lockState('alice')).toMatchObject({ locked: true, until: null });
    await regulator.unlock('alice', { actor: 'root' });
    expect(await regulator.isLocked('alice')).toBe(false);
  });

  it('reports each ban and lock once as it starts (for metrics)', async () => {
    const { regulator, fail, started } = setup({ ...CONFIG, address: { ...CONFIG.address, max_retries: 5 } });
    await fail('otp', 4);
    await fail('webauthn', 2);
    expect(started.sort()).toEqual(['account_ban:otp', 'address_ban:webauthn', 'lockout:any']);
    await regulator.check({ username: 'alice', kind: 'otp', ip: '10.0.0.1' });
    expect(started).toHaveLength(3);
  });

  it('bans an address across accounts, and only that address', async () => {
    const { regulator } = setup();
    for (let i = 0; i < 10; i++) await regulator.recordFailure({ username: `user${i}`, kind: 'password', ip: '192.0.2.7' });
    expect(await regulator.check({ username: 'nobody-yet', kind: 'password', ip: '192.0.2.7' })).toEqual({ ok: false, reason: 'throttled', scope: 'address', retryAfter: 900 });
    expect(await regulator.check({ kind: 'webauthn', ip: '192.0.2.7' })).toMatchObject({ ok: false, scope: 'address' });
    expect(await regulator.check({ username: 'nobody-yet', kind: 'password', ip: '192.0.2.8' })).toEqual({ ok: true });
  });

  it('treats an unreadable lock record as a lock (fail closed)', async () => {
    const { regulator, kv } = setup();
    await kv.set('reg:lock:alice', 'not json', 60);
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).toMatchObject({ ok: false, reason: 'locked' });
  });
});

describe('createRegulator: attempts in flight (admit)', () => {
  const burst = (admit: (a: Attempt) => Promise<Admission>, attempts: Attempt[]) => Promise.all(attempts.map((a) => admit(a)));
  const outcome = (a: Admission) => (a.verdict.ok ? 'admitted' : a.verdict.scope);
  const tally = (admissions: Admission[]) => {
    const counts: Record<string, number> = {};
    for (const a of admissions) counts[outcome(a)] = (counts[outcome(a)] ?? 0) + 1;
    return counts;
  };

  it.each([
    {
      name: 'one account, many addresses',
      attempt: (i: number): Attempt => ({ username: 'alice', kind: 'password', ip: `10.1.${i >> 8}.${i & 255}` }),
      expected: { admitted: 3, account: 47 },
    },
    {
      name: 'one account in any case, many addresses',
      attempt: (i: number): Attempt => ({ username: i % 2 ? 'ALICE' : ' alice', kind: 'otp', ip: `10.2.0.${i}` }),
      expected: { admitted: 3, account: 47 },
    },
    { name: 'many accounts, one address', attempt: (i: number): Attempt => ({ username: `user${i}`, kind: 'password', ip: '192.0.2.7' }), expected: { admitted: 10, address: 40 } },
    { name: 'no account (passkey without a name), one address', attempt: (): Attempt => ({ kind: 'webauthn', ip: '192.0.2.8' }), expected: { admitted: 10, address: 40 } },
    // The address is looked at first: past its limit the answer says nothing about the account.
    { name: 'one account, one address', attempt: (): Attempt => ({ username: 'alice', kind: 'password', ip: '192.0.2.9' }), expected: { admitted: 3, account: 7, address: 40 } },
  ])('50 parallel attempts ($name) let in only as many as the limit allows', async ({ attempt, expected }) => {
    const { regulator } = setup();
    const admissions = await burst(
      regulator.admit,
      Array.from({ length: 50 }, (_, i) => attempt(i)),
    );
    expect(tally(admissions)).toEqual(expected);
    for (const a of admissions.filter((x) => !x.verdict.ok)) expect(a.verdict).toMatchObject({ reason: 'throttled', retryAfter: 1 });
  });

  it("an attempt refused for its account still counts for its address, so the address refuses as many whatever the account's state", async () => {
    const { regulator, fail } = setup();
    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    await fail('password', 3, 'bob', '10.9.0.1');
    const outcomes: Record<string, Record<string, number>> = {};
    for (const [i, username] of ['alice', 'bob', 'carol'].entries()) {
      const admissions = await burst(
        regulator.admit,
        Array.from({ length: 50 }, () => ({ username, kind: 'password' as const, ip: `192.0.2.${100 + i}` })),
      );
      outcomes[username] = tally(admissions);
    }
    expect(outcomes).toEqual({ alice: { account: 10, address: 40 }, bob: { account: 10, address: 40 }, carol: { admitted: 3, account: 7, address: 40 } });
  });

  it('the admitted ones that fail start the ban; refused ones were never counted', async () => {
    const { regulator } = setup();
    const admissions = await burst(
      regulator.admit,
      Array.from({ length: 50 }, (_, i) => ({ username: 'alice', kind: 'password' as const, ip: `10.3.0.${i}` })),
    );
    const admitted = admissions.filter((a) => a.verdict.ok);
    for (const a of admitted) {
      await regulator.recordFailure({ username: 'alice', kind: 'password', ip: '10.3.0.1' });
      await a.release();
    }
    expect((await regulator.lockState('alice')).recentFailures).toBe(3);
    expect((await regulator.admit({ username: 'alice', kind: 'password', ip: '10.3.1.1' })).verdict).toEqual({ ok: false, reason: 'throttled', scope: 'account', retryAfter: 900 });
  });

  it('counts failures in the window and attempts in flight together', async () => {
    const { regulator, fail } = setup();
    await fail('otp', 2);
    const admissions = await burst(
      regulator.admit,
      Array.from({ length: 5 }, (_, i) => ({ username: 'alice', kind: 'otp' as const, ip: `10.4.0.${i}` })),
    );
    expect(tally(admissions)).toEqual({ admitted: 1, account: 4 });
    // Other kinds have rooms of their own, but the account-wide cap (6) counts every kind:
    // 2 failures + 1 code in flight leave room for three more, whatever their kinds.
    const kinds = ['webauthn', 'recovery_code', 'push', 'email_otp'] as const;
    const others = await burst(
      regulator.admit,
      kinds.map((kind, i) => ({ username: 'alice', kind, ip: `10.4.1.${i}` })),
    );
    expect(others.map(outcome)).toEqual(['admitted', 'admitted', 'admitted', 'account']);
  });

  it('a released attempt frees its place at once; releasing twice frees one place only', async () => {
    const { regulator } = setup();
    const alice = (i: number): Attempt => ({ username: 'alice', kind: 'password', ip: `10.5.0.${i}` });
    const first = await burst(regulator.admit, [alice(1), alice(2), alice(3)]);
    expect(first.every((a) => a.verdict.ok)).toBe(true);
    expect((await regulator.admit(alice(4))).verdict.ok).toBe(false);
    await first[0]!.release();
    await first[0]!.release();
    const [again, more] = await burst(regulator.admit, [alice(5), alice(6)]);
    expect(again!.verdict.ok).toBe(true);
    expect(more!.verdict.ok).toBe(false);
  });

  it('an attempt never released stops counting after IN_FLIGHT_MS (an instance killed mid-check)', async () => {
    const { regulator, clock } = setup();
    const alice = (i: number): Attempt => ({ username: 'alice', kind: 'password', ip: `10.6.0.${i}` });
    await burst(regulator.admit, [alice(1), alice(2), alice(3)]);
    expect((await regulator.admit(alice(4))).verdict.ok).toBe(false);
    clock.advance(IN_FLIGHT_MS - 1000);
    expect((await regulator.admit(alice(5))).verdict.ok).toBe(false);
    clock.advance(2000);
    expect((await regulator.admit(alice(6))).verdict.ok).toBe(true);
  });

  it('a lock or ban still wins over the attempts in flight, as check says', async () => {
    const { regulator, fail } = setup();
    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    expect((await regulator.admit({ username: 'alice', kind: 'password', ip: '10.7.0.1' })).verdict).toEqual({ ok: false, reason: 'locked', scope: 'account', retryAfter: 3600 });
    await fail('password', 3, 'bob');
    expect((await regulator.admit({ username: 'bob', kind: 'password', ip: '10.7.0.1' })).verdict).toMatchObject({
      ok: false,
      reason: 'throttled',
      scope: 'account',
      retryAfter: 900,
    });
  });

  it('an address ban answers first, whatever the account: a locked, a banned and an open account are refused alike', async () => {
    const { regulator, fail } = setup();
    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    await fail('password', 3, 'bob', '10.9.0.1');
    // Ten failures from one address, spread over names that are not under test.
    await Promise.all(Array.from({ length: 10 }, (_, i) => regulator.recordFailure({ username: `guess${i}`, kind: 'password', ip: '10.9.9.9' })));
    const fromBanned = (username: string) => ({ username, kind: 'password' as const, ip: '10.9.9.9' });
    const verdicts = await Promise.all(['alice', 'bob', 'carol'].map((u) => regulator.check(fromBanned(u))));
    for (const verdict of verdicts) expect(verdict).toEqual({ ok: false, reason: 'throttled', scope: 'address', retryAfter: 900 });
    const admitted = await Promise.all(['alice', 'bob', 'carol'].map((u) => regulator.admit(fromBanned(u))));
    for (const { verdict } of admitted) expect(verdict).toEqual({ ok: false, reason: 'throttled', scope: 'address', retryAfter: 900 });
    // From another address the account's own state still shows.
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.9.0.2' })).toMatchObject({ ok: false, reason: 'locked', scope: 'account' });
    expect(await regulator.check({ username: 'bob', kind: 'password', ip: '10.9.0.2' })).toMatchObject({ ok: false, reason: 'throttled', scope: 'account' });
  });

  it('fails closed when the store is down, and releasing then does not throw', async () => {
    const { regulator, kv } = setup();
    const admitted = await regulator.admit({ username: 'alice', kind: 'password', ip: '10.8.0.1' });
    await kv.close();
    await expect(admitted.release()).resolves.toBeUndefined();
    await expect(regulator.admit({ username: 'alice', kind: 'password', ip: '10.8.0.1' })).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
