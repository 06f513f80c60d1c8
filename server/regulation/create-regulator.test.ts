import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import { createFixedClock } from '../core/clock.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import type { RegulationConfig } from '../config/schema.js';
import { createRegulator } from './create-regulator.js';
import type { AttemptKind } from './regulator.js';

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

  it('an account ban is reported as the account\'s even when the address is banned too', async () => {
    const { regulator, fail } = setup({ ...CONFIG, address: { ...CONFIG.address, max_retries: 3 } });
    await fail('password', 3);
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).toMatchObject({ ok: false, scope: 'account' });
  });

  it('treats an unreadable lock record as a lock (fail closed)', async () => {
    const { regulator, kv } = setup();
    await kv.set('reg:lock:alice', 'not json', 60);
    expect(await regulator.check({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).toMatchObject({ ok: false, reason: 'locked' });
  });
});
