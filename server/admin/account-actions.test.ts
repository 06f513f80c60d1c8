import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disableUser, enableUser, resetFactors, unlockUser } from './account-actions.js';
import { ADMIN, createAdminFixture, NOW, type AdminFixture } from './testing/admin-fixture.js';

let f: AdminFixture;
beforeEach(() => {
  f = createAdminFixture();
});
afterEach(() => f.close());

const device = (username: string | null, serial: string | null = null) => ({
  username,
  kind: 'totp' as const,
  name: serial ?? 'phone',
  secret: Buffer.alloc(20, 9),
  algorithm: 'SHA1' as const,
  digits: 6 as const,
  period: 30,
  serial,
  confirmed: true,
});

describe('unlockUser', () => {
  it('ends a lock through the regulator and leaves one admin.unlock event naming the administrator', async () => {
    f.regulator.lock('bob', null);
    expect(await unlockUser(f.deps, ADMIN, 'Bob')).toEqual({ ok: true, username: 'bob', wasLocked: true });
    expect(f.regulator.unlocks).toEqual([{ username: 'bob', actor: 'alice' }]);
    expect((await f.deps.regulator.lockState('bob')).locked).toBe(false);
    const events = await f.adminEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'admin.unlock',
      actor: 'alice',
      subject: 'bob',
      clientIp: '192.0.2.10',
      userAgent: 'test-agent',
      result: 'success',
      details: { status: 'unlocked', requestId: 'req-1' },
    });
  });

  it('says when there was no lock, and still records the action', async () => {
    expect(await unlockUser(f.deps, ADMIN, 'bob')).toEqual({ ok: true, username: 'bob', wasLocked: false });
    expect((await f.adminEvents()).map((e) => e.details.status)).toEqual(['not_locked']);
  });
});

describe('resetFactors', () => {
  it('removes every factor, gives tokens back, ends all the user’s sessions and no one else’s', async () => {
    await f.storage.otpDevices.create(device('bob'), NOW);
    await f.storage.otpDevices.importTokens([device(null, 'HW-9')], NOW);
    await f.storage.otpDevices.assign('HW-9', 'bob');
    await f.storage.recoveryCodes.replaceSet('bob', ['h1'], NOW);
    await f.storage.pushDevices.create({ username: 'bob', name: 'Pixel', publicKey: Buffer.alloc(65, 4), subscription: null, otpDeviceId: null }, NOW);
    const one = await f.signIn('bob');
    const two = await f.signIn('bob', true);
    const other = await f.signIn('alice');

    expect(await resetFactors(f.deps, ADMIN, 'bob')).toEqual({ ok: true, username: 'bob', sessionsEnded: 2 });
    expect(await f.storage.otpDevices.listForUser('bob')).toEqual([]);
    expect(await f.storage.recoveryCodes.listForUser('bob')).toEqual([]);
    expect(await f.storage.pushDevices.listForUser('bob')).toEqual([]);
    expect((await f.storage.otpDevices.findBySerial('HW-9'))?.username).toBeNull();
    expect(await f.sessions.read(one.token)).toBeNull();
    expect(await f.sessions.read(two.token)).toBeNull();
    expect(await f.sessions.read(other.token)).not.toBeNull();
    const events = await f.adminEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'admin.reset_factors', actor: 'alice', subject: 'bob', details: { sessions: 2 } });
  });
});

describe('disableUser / enableUser', () => {
  it('disables in Gatehouse with actor and reason, ends every session, and records it once', async () => {
    const session = await f.signIn('bob');
    expect(await disableUser(f.deps, ADMIN, 'bob', { reason: '  laptop stolen  ' })).toEqual({ ok: true, username: 'bob', sessionsEnded: 1 });
    expect(await f.storage.accountStates.get('bob')).toEqual({ username: 'bob', disabledAt: NOW, disabledBy: 'alice', reason: 'laptop stolen' });
    expect(await f.sessions.read(session.token)).toBeNull();
    const events = await f.adminEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'admin.disable', actor: 'alice', subject: 'bob', reason: 'laptop stolen', details: { sessions: 1 } });
  });

  it('disabling again keeps the first time and actor; an empty or huge reason is stored as none or cut', async () => {
    await disableUser(f.deps, ADMIN, 'bob', { reason: '   ' });
    f.clock.advance(1000);
    await disableUser(f.deps, { name: 'cli:root' }, 'bob', { reason: 'x'.repeat(5000) });
    expect(await f.storage.accountStates.get('bob')).toEqual({ username: 'bob', disabledAt: NOW, disabledBy: 'alice', reason: null });
    const [second] = await f.adminEvents();
    expect(second!.reason).toHaveLength(200);
  });

  it('enables: true once, false when it was not disabled here; each call recorded', async () => {
    await disableUser(f.deps, ADMIN, 'bob');
    expect(await enableUser(f.deps, ADMIN, 'bob')).toEqual({ ok: true, username: 'bob', wasDisabled: true });
    expect(await f.storage.accountStates.get('bob')).toBeUndefined();
    expect(await enableUser(f.deps, ADMIN, 'bob')).toEqual({ ok: true, username: 'bob', wasDisabled: false });
    expect((await f.adminEvents()).map((e) => `${e.kind}:${e.details.status ?? ''}`)).toEqual(['admin.enable:not_disabled', 'admin.enable:enabled', 'admin.disable:']);
  });

  it('a user disabled in the users file can still be disabled in Gatehouse (and sessions ended)', async () => {
    expect(await disableUser(f.deps, ADMIN, 'carol')).toMatchObject({ ok: true, username: 'carol' });
  });
});

describe('unknown users', () => {
  const actions = {
    unlock: (name: string) => unlockUser(f.deps, ADMIN, name),
    reset: (name: string) => resetFactors(f.deps, ADMIN, name),
    disable: (name: string) => disableUser(f.deps, ADMIN, name, { reason: 'x' }),
    enable: (name: string) => enableUser(f.deps, ADMIN, name),
  };
  const names = ['nobody', '', 'bob ', '../bob', 'bob\n', 'b'.repeat(500), '*', 'ｂｏｂ'];
  it.each(Object.keys(actions).flatMap((action) => names.map((name) => [action, name] as const)))('%s %j → unknown_user, nothing changed or recorded', async (action, name) => {
    const session = await f.signIn('bob');
    expect(await actions[action as keyof typeof actions](name)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await f.adminEvents()).toEqual([]);
    expect(await f.storage.accountStates.listDisabled()).toEqual([]);
    expect(f.regulator.unlocks).toEqual([]);
    expect(await f.sessions.read(session.token)).not.toBeNull();
  });
});
