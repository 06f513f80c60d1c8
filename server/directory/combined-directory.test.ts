import { describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import type { SessionUser } from '../session/session.js';
import { createCombinedDirectory } from './combined-directory.js';
import type { FirstFactorResult } from './directory.js';
import type { LdapDirectory } from './ldap/ldap-directory.js';
import type { UsersFileDirectory } from './users-file.js';

const fileAdmin: SessionUser = { username: 'admin', displayName: 'Break Glass', email: '', groups: ['admins'] };
const ldapUser = (username: string, groups = ['staff']): SessionUser => ({ username, displayName: username, email: '', groups, source: 'ldap' });

function fakeFile(): UsersFileDirectory & { asked: string[] } {
  const asked: string[] = [];
  const names = new Map([
    ['admin', fileAdmin],
    ['retired', undefined],
  ]);
  return {
    asked,
    knows: (name) => names.has(name.toLowerCase()),
    findUser: (name) => names.get(name.toLowerCase()),
    async verifyPassword(name, password): Promise<FirstFactorResult> {
      asked.push(name);
      return name.toLowerCase() === 'admin' && password === 'file-pw' ? { ok: true, user: fileAdmin } : { ok: false, reason: 'invalid-credentials' };
    },
    listUsers: () => [{ ...fileAdmin, disabled: false }],
    onChange: () => () => undefined,
    reload: async () => undefined,
    reloadStatus: () => ({ path: '/etc/gatehouse/users.yml', watch: true, loadedAt: 0, lastReload: null }),
    close: () => undefined,
  };
}

function fakeLdap(answers: Record<string, SessionUser>): LdapDirectory & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async verifyPassword(name, password) {
      asked.push(name);
      const user = answers[name];
      return user && password === 'ldap-pw' ? { ok: true, user } : { ok: false, reason: 'invalid-credentials', ...(user ? { username: user.username } : {}) };
    },
    imitateVerify: async () => ({ ok: false, reason: 'invalid-credentials' }),
    findUser: (name) => answers[name],
    peekSessionUser: (user) => answers[user.username] ?? null,
    loadSessionUser: async (user) => answers[user.username] ?? null,
    lookupUser: async (name) => answers[name],
    onChange: () => () => undefined,
    refreshAll: async () => ({ checked: 0, revoked: [], updated: [], dropped: 0, failed: false }),
    close: () => undefined,
  };
}

describe('the users file beside LDAP', () => {
  it('checks a name the file holds against the file only: LDAP never sees it', async () => {
    const file = fakeFile();
    const ldap = fakeLdap({ admin: ldapUser('admin', ['everyone']) });
    const directory = createCombinedDirectory({ file, ldap }, { logger: createSilentLogger() });
    expect(await directory.verifyPassword('admin', 'file-pw')).toEqual({ ok: true, user: fileAdmin });
    expect(await directory.verifyPassword('ADMIN', 'ldap-pw')).toEqual({ ok: false, reason: 'invalid-credentials' });
    // A disabled file entry still owns its name.
    expect(await directory.verifyPassword('retired', 'ldap-pw')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(ldap.asked).toEqual([]);
    // Besides, two checks of names no file holds: what a file failure takes, measured.
    expect(file.asked.filter((name) => !name.startsWith('-'))).toEqual(['admin', 'ADMIN', 'retired']);
    expect(file.asked.filter((name) => name.startsWith('-'))).toHaveLength(2);
  });

  it('sends every other name to LDAP', async () => {
    const file = fakeFile();
    const ldap = fakeLdap({ alice: ldapUser('alice') });
    const directory = createCombinedDirectory({ file, ldap }, { logger: createSilentLogger() });
    expect(await directory.verifyPassword('alice', 'ldap-pw')).toEqual({ ok: true, user: ldapUser('alice') });
    expect(ldap.asked).toEqual(['alice']);
    expect(file.asked.filter((name) => !name.startsWith('-'))).toEqual([]);
  });

  it('refuses an LDAP account that reaches a name the file holds through an alias', async () => {
    const ldap = fakeLdap({ 'admin@corp.example': ldapUser('admin', ['everyone']) });
    const directory = createCombinedDirectory({ file: fakeFile(), ldap }, { logger: createSilentLogger() });
    expect(await directory.verifyPassword('admin@corp.example', 'ldap-pw')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await directory.lookupUser!('admin@corp.example')).toBeUndefined();
  });

  it('resolves a session only where its user came from', async () => {
    const ldap = fakeLdap({ alice: ldapUser('alice'), admin: ldapUser('admin', ['everyone']) });
    const directory = createCombinedDirectory({ file: fakeFile(), ldap }, { logger: createSilentLogger() });
    expect(directory.peekSessionUser!(fileAdmin)).toEqual(fileAdmin);
    expect(directory.peekSessionUser!(ldapUser('alice'))).toEqual(ldapUser('alice'));
    // An LDAP session named like a file user never gets the file user's groups.
    expect(directory.peekSessionUser!(ldapUser('admin'))).toBeNull();
    expect(await directory.loadSessionUser!(ldapUser('admin'))).toBeNull();
    // A file session of a name the file no longer holds is over, whatever LDAP says.
    expect(directory.peekSessionUser!({ ...fileAdmin, username: 'alice' })).toBeNull();
  });

  it('pads LDAP failures to what a failed file check takes, so timing does not tell file names from others', async () => {
    vi.useFakeTimers();
    try {
      let clock = 0;
      const FILE_CHECK_MS = 120;
      const file = fakeFile();
      const verifyFile = file.verifyPassword.bind(file);
      // A file check takes FILE_CHECK_MS on this clock (argon2's time), whoever it is for.
      file.verifyPassword = async (name, password) => {
        clock += FILE_CHECK_MS;
        return verifyFile(name, password);
      };
      const ldap = fakeLdap({ alice: ldapUser('alice') });
      const directory = createCombinedDirectory({ file, ldap }, { logger: createSilentLogger(), now: () => clock });
      await vi.advanceTimersByTimeAsync(0);
      const settled = (promise: Promise<unknown>) => {
        let done = false;
        void promise.then(() => (done = true));
        return () => done;
      };
      for (const [name, password] of [
        ['alice', 'wrong'],
        ['nobody', 'whatever'],
      ] as const) {
        const answer = directory.verifyPassword(name, password);
        const isDone = settled(answer);
        await vi.advanceTimersByTimeAsync(FILE_CHECK_MS - 1);
        expect(isDone(), name).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect(isDone(), name).toBe(true);
        expect((await answer).ok).toBe(false);
      }
      // An attempt regulation refused waits as long; a right password and "busy" are not padded.
      const imitated = settled(directory.imitateVerify!('nobody', {}));
      await vi.advanceTimersByTimeAsync(FILE_CHECK_MS - 1);
      expect(imitated()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(imitated()).toBe(true);
      const right = settled(directory.verifyPassword('alice', 'ldap-pw'));
      await vi.advanceTimersByTimeAsync(0);
      expect(right()).toBe(true);
      ldap.verifyPassword = async () => ({ ok: false, reason: 'busy', scope: 'address' });
      const busy = settled(directory.verifyPassword('alice', 'wrong'));
      await vi.advanceTimersByTimeAsync(0);
      expect(busy()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('measures no file check with the file alone, or for a command (padLdapFailures: false)', async () => {
    const alone = fakeFile();
    createCombinedDirectory({ file: alone }, { logger: createSilentLogger() });
    const command = fakeFile();
    createCombinedDirectory({ file: command, ldap: fakeLdap({}) }, { logger: createSilentLogger(), padLdapFailures: false });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([alone.asked, command.asked]).toEqual([[], []]);
  });

  it('with the file alone, refuses sessions LDAP made', async () => {
    const directory = createCombinedDirectory({ file: fakeFile() }, { logger: createSilentLogger() });
    expect(directory.peekSessionUser!(ldapUser('admin'))).toBeNull();
    expect(directory.peekSessionUser!(fileAdmin)).toEqual(fileAdmin);
  });

  it('with LDAP alone, refuses sessions the file made', async () => {
    const directory = createCombinedDirectory({ ldap: fakeLdap({ admin: ldapUser('admin') }) }, { logger: createSilentLogger() });
    expect(directory.peekSessionUser!(fileAdmin)).toBeNull();
    expect(directory.peekSessionUser!(ldapUser('admin'))).toEqual(ldapUser('admin'));
  });
});
