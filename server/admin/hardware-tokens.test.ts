import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assignHardwareToken, unassignHardwareToken } from './hardware-tokens.js';
import { ADMIN, createAdminFixture, NOW, type AdminFixture } from './testing/admin-fixture.js';

let f: AdminFixture;
beforeEach(async () => {
  f = createAdminFixture();
  const token = (serial: string) => ({
    username: null,
    kind: 'hotp' as const,
    name: serial,
    secret: Buffer.alloc(20, 3),
    algorithm: 'SHA1' as const,
    digits: 6 as const,
    period: 30,
    serial,
    confirmed: true,
  });
  await f.storage.otpDevices.importTokens([token('HW-1'), token('HW-2')], NOW);
});
afterEach(() => f.close());

describe('assignHardwareToken', () => {
  it('assigns once, says "already" the second time, and records both', async () => {
    expect(await assignHardwareToken(f.deps, ADMIN, 'HW-1', 'BOB')).toEqual({ ok: true, username: 'bob', already: false });
    expect((await f.storage.otpDevices.findBySerial('HW-1'))?.username).toBe('bob');
    expect(await assignHardwareToken(f.deps, ADMIN, 'HW-1', 'bob')).toEqual({ ok: true, username: 'bob', already: true });
    expect((await f.adminEvents()).map((e) => [e.kind, e.subject, e.details.serial, e.details.status])).toEqual([
      ['admin.token_assign', 'bob', 'HW-1', 'already_assigned'],
      ['admin.token_assign', 'bob', 'HW-1', 'assigned'],
    ]);
  });

  it('refuses a token that is someone else’s without naming them', async () => {
    await assignHardwareToken(f.deps, ADMIN, 'HW-1', 'alice');
    expect(await assignHardwareToken(f.deps, ADMIN, 'HW-1', 'bob')).toEqual({ ok: false, reason: 'assigned_to_other' });
    expect((await f.storage.otpDevices.findBySerial('HW-1'))?.username).toBe('alice');
  });

  it.each([
    ['HW-404', 'bob', 'unknown_token'],
    ['', 'bob', 'unknown_token'],
    ['x'.repeat(65), 'bob', 'unknown_token'],
    ['hw-1', 'bob', 'unknown_token'],
    ['HW-1', 'nobody', 'unknown_user'],
    ['HW-1', 'carol', 'unknown_user'],
    ['HW-1', '', 'unknown_user'],
  ])('%j to %j → %s, nothing recorded', async (serial, user, reason) => {
    expect(await assignHardwareToken(f.deps, ADMIN, serial, user)).toEqual({ ok: false, reason });
    expect((await f.storage.otpDevices.findBySerial('HW-1'))?.username).toBeNull();
    expect(await f.adminEvents()).toEqual([]);
  });
});

describe('unassignHardwareToken', () => {
  it('takes it back (the token stays imported) and records whose it was', async () => {
    await assignHardwareToken(f.deps, ADMIN, 'HW-2', 'bob');
    expect(await unassignHardwareToken(f.deps, ADMIN, 'HW-2')).toEqual({ ok: true, previousOwner: 'bob' });
    expect(await f.storage.otpDevices.findBySerial('HW-2')).toMatchObject({ username: null, serial: 'HW-2' });
    expect(await unassignHardwareToken(f.deps, ADMIN, 'HW-2')).toEqual({ ok: true, previousOwner: null });
    const [again, first] = await f.adminEvents();
    expect(first).toMatchObject({ kind: 'admin.token_unassign', subject: 'bob', details: { serial: 'HW-2', status: 'unassigned' } });
    expect(again).toMatchObject({ kind: 'admin.token_unassign', subject: null, details: { serial: 'HW-2', status: 'not_assigned' } });
  });

  it.each(['HW-404', '', 'x'.repeat(1000)])('unknown serial %j → unknown_token', async (serial) => {
    expect(await unassignHardwareToken(f.deps, ADMIN, serial)).toEqual({ ok: false, reason: 'unknown_token' });
    expect(await f.adminEvents()).toEqual([]);
  });
});
