import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdminFixture, NOW, type AdminFixture } from './testing/admin-fixture.js';
import { getUser, listUsers, listUsersPage } from './user-status.js';

let f: AdminFixture;
beforeEach(() => {
  f = createAdminFixture();
});
afterEach(() => f.close());

const otp = (username: string | null, extra: { serial?: string; confirmed?: boolean; kind?: 'totp' | 'hotp' } = {}) => ({
  username,
  kind: extra.kind ?? ('totp' as const),
  name: extra.serial ?? 'phone',
  secret: Buffer.alloc(20, 7),
  algorithm: 'SHA1' as const,
  digits: 6 as const,
  period: 30,
  serial: extra.serial ?? null,
  confirmed: extra.confirmed ?? true,
});

describe('listUsers', () => {
  it('lists every user of the directory, disabled ones too, with an empty status', async () => {
    const users = await listUsers(f.deps);
    expect(users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
    expect(users[2]).toEqual({
      username: 'carol',
      displayName: 'Carol',
      email: 'carol@corp.example',
      groups: ['dev'],
      disabled: { directory: true, gatehouse: null },
      lock: { locked: false, until: null, reason: null },
      factors: { totp: 0, hardware_token: 0, webauthn: 0, push: 0, recovery_codes: 0 },
      lastSignInAt: null,
    });
  });

  it.each([
    ['ali', ['alice']],
    ['ALICE', ['alice']],
    ['  bob  ', ['bob']],
    ['陳柏宇', ['bob']],
    ['chen', ['bob']],
    ['corp.example', ['alice', 'bob', 'carol']],
    ['CAROL@CORP', ['carol']],
    ['', ['alice', 'bob', 'carol']],
    ['nobody', []],
    ['%', []],
    ['.*', []],
    ['x'.repeat(10_000), []],
  ])('search %j finds %j', async (search, expected) => {
    expect((await listUsers(f.deps, { search })).map((u) => u.username)).toEqual(expected);
  });
});

describe('listUsersPage', () => {
  it.each([
    [{ offset: 0, limit: 2 }, ['alice', 'bob']],
    [{ offset: 2, limit: 2 }, ['carol']],
    [{ offset: 3, limit: 2 }, []],
    [{ offset: 1, limit: 1 }, ['bob']],
    [{ offset: -5, limit: 1 }, ['alice']],
    [{ offset: 0, limit: 0 }, ['alice']],
    [{ offset: 0, limit: 10_000 }, ['alice', 'bob', 'carol']],
  ])('%j gives %j of 3', async (options, expected) => {
    const page = await listUsersPage(f.deps, options);
    expect(page.users.map((u) => u.username)).toEqual(expected);
    expect(page.total).toBe(3);
  });

  it('counts only the users the search matches', async () => {
    expect(await listUsersPage(f.deps, { search: 'bob', offset: 0, limit: 50 })).toMatchObject({ total: 1, users: [expect.objectContaining({ username: 'bob' })] });
  });
});

describe('getUser', () => {
  it('counts enrolled factors by kind: pending ones, a phone’s offline seed and used recovery codes do not count', async () => {
    const { storage } = f;
    await storage.otpDevices.create(otp('bob'), NOW);
    await storage.otpDevices.create(otp('bob', { confirmed: false }), NOW);
    const seed = await storage.otpDevices.create(otp('bob'), NOW);
    await storage.pushDevices.create({ username: 'bob', name: 'Pixel', publicKey: Buffer.alloc(65, 4), subscription: null, otpDeviceId: seed.id }, NOW);
    await storage.otpDevices.importTokens([otp(null, { serial: 'HW-1', kind: 'hotp' }), otp(null, { serial: 'HW-2' })], NOW);
    await storage.otpDevices.assign('HW-1', 'bob');
    await storage.webauthnCredentials.create(
      {
        id: 'cred-1',
        username: 'bob',
        userHandle: 'h',
        publicKey: Buffer.alloc(8),
        counter: 0,
        transports: [],
        aaguid: '00000000-0000-0000-0000-000000000000',
        backupEligible: false,
        backupState: false,
        userVerified: true,
        discoverable: true,
        name: 'Key',
      },
      NOW,
    );
    await storage.recoveryCodes.replaceSet('bob', ['h1', 'h2', 'h3'], NOW);
    const [first] = await storage.recoveryCodes.listForUser('bob');
    await storage.recoveryCodes.markUsed(first!.id, NOW);

    const result = await getUser(f.deps, 'bob');
    expect(result.ok && result.user.factors).toEqual({ totp: 1, hardware_token: 1, webauthn: 1, push: 1, recovery_codes: 2 });
  });

  it('shows the lock, the Gatehouse disabling and the last successful sign-in', async () => {
    f.regulator.lock('alice', NOW + 3_600_000);
    await f.storage.accountStates.disable('alice', { actor: 'root', reason: 'left', now: NOW - 5 });
    await f.storage.auditEvents.append({ at: NOW - 100, kind: 'sign_in.success', result: 'success', subject: 'alice' });
    await f.storage.auditEvents.append({ at: NOW - 50, kind: 'sign_in.success', result: 'success', subject: 'alice' });
    await f.storage.auditEvents.append({ at: NOW - 10, kind: 'sign_in.failure', result: 'failure', subject: 'alice' });
    await f.storage.auditEvents.append({ at: NOW - 1, kind: 'sign_in.success', result: 'success', subject: 'bob' });
    const result = await getUser(f.deps, 'alice');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.user.lock).toEqual({ locked: true, until: NOW + 3_600_000, reason: 'failures' });
    expect(result.user.disabled).toEqual({ directory: false, gatehouse: { at: NOW - 5, by: 'root', reason: 'left' } });
    expect(result.user.lastSignInAt).toBe(NOW - 50);
  });

  it('matches the username case-insensitively, as sign-in does', async () => {
    const result = await getUser(f.deps, 'ALICE');
    expect(result.ok && result.user.username).toBe('alice');
  });

  it.each(['nobody', '', ' alice', 'alice ', 'al ice', '../alice', 'alice\u0000', 'alice%00', 'a'.repeat(10_000), 'ａｌｉｃｅ', 'alİce'])(
    'an unknown name %j is unknown_user',
    async (name) => {
      expect(await getUser(f.deps, name)).toEqual({ ok: false, reason: 'unknown_user' });
    },
  );
});
