import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailableError } from '../../core/errors.js';
import { createSilentLogger } from '../../core/logger.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import type { TestSlapd } from '../../testing/slapd-server.js';
import { createHashQueue, hashLaneOf, type HashQueue } from '../hash-queue.js';
import { createLdapDirectory, type LdapDirectory } from './ldap-directory.js';
import { dnOf, LDAP_USERS, ldapSettingsFor, MANY_GROUPS, startLdapFixture } from './testing/ldap-fixture.js';

let slapd: TestSlapd;
const open: LdapDirectory[] = [];

function directory(overrides: Record<string, unknown> = {}, checkQueue?: HashQueue): LdapDirectory {
  const created = createLdapDirectory(
    { logger: createSilentLogger(), kv: createMemoryKv({ clock: { now: Date.now } }), now: Date.now, ...(checkQueue ? { checkQueue } : {}) },
    { settings: ldapSettingsFor(slapd, overrides), mirrorTtlMs: 10_000, recordTtlSeconds: 3600, refresh: false },
  );
  open.push(created);
  return created;
}

/** Binds slapd saw for real user entries (not the service account, not the dummy DN). */
async function userBinds(): Promise<string[]> {
  await slapd.logged();
  return slapd
    .binds()
    .map((op) => op.dn ?? '')
    .filter((dn) => dn.startsWith('uid='));
}

beforeAll(async () => {
  slapd = await startLdapFixture();
}, 120_000);

afterAll(async () => {
  for (const d of open) d.close();
  await slapd?.close();
});

describe('LDAP sign-in against slapd', () => {
  it('searches, binds as the user and reads their directory record', async () => {
    const result = await directory().verifyPassword('Alice', LDAP_USERS.alice.password);
    expect(result).toEqual({
      ok: true,
      user: { username: 'alice', displayName: 'Alice Liu', email: 'alice@corp.test', mobile: '+886 912 345 678', groups: ['cyc-a', 'dev'], source: 'ldap' },
    });
  });

  it('costs one search and one bind for a right password, a wrong one, and an unknown name alike', async () => {
    const d = directory();
    await d.verifyPassword('bob', LDAP_USERS.bob.password); // warms the pools
    const cost = async (username: string, password: string) => {
      await slapd.clearLog();
      await d.verifyPassword(username, password);
      await slapd.logged();
      const ops = slapd.operations();
      return { binds: ops.filter((o) => o.type === 'BIND').length, searches: ops.filter((o) => o.type === 'SRCH').length };
    };
    const wrong = await cost('bob', 'not-his-password');
    const unknown = await cost('nobody-by-this-name', 'whatever-password');
    expect(wrong).toEqual({ binds: 1, searches: 1 });
    expect(unknown).toEqual(wrong);
    // Success adds the group lookup: memberOf comes with the user, so no search at all here.
    expect(await cost('bob', LDAP_USERS.bob.password)).toEqual({ binds: 1, searches: 1 });
  });

  it('answers a wrong password with the account name for the audit log only', async () => {
    expect(await directory().verifyPassword('alice', 'wrong-password')).toEqual({ ok: false, reason: 'invalid-credentials', username: 'alice' });
    expect(await directory().verifyPassword('no-such-user', 'wrong-password')).toEqual({ ok: false, reason: 'invalid-credentials' });
  });

  it.each([
    ['empty', ''],
    ['a space', ' '],
    ['spaces', '     '],
    ['a tab', '\t'],
    ['white space of all kinds', ' \t\n\r\u00a0\u2003'],
  ])('refuses %s as password without binding as the user (no unauthenticated bind)', async (_label, password) => {
    await slapd.clearLog();
    expect(await directory().verifyPassword('alice', password)).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await userBinds()).toEqual([]);
  });

  const injections = ['*', '*)(uid=*', 'admin)(|(userPassword=*', '\\', 'alice\\', 'al*', '*alice*', 'alice)(uid=bob', ')(objectClass=*', '\\2a', 'alice\\29'];
  it.each(injections)('keeps %j a literal name: no match, nobody bound', async (input) => {
    await slapd.clearLog();
    const result = await directory().verifyPassword(input, LDAP_USERS.alice.password);
    expect(result).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await userBinds()).toEqual([]);
    // The filter slapd received holds the input escaped, not as filter syntax.
    const filters = slapd
      .operations()
      .filter((o) => o.type === 'SRCH')
      .map((o) => o.filter);
    expect(filters).toHaveLength(1);
    expect(filters[0]).not.toMatch(/uid=\*|\(\|/);
  });

  it.each([
    ['NUL', 'alice\0'],
    ['a NUL alone', '\0'],
    ['a newline', 'alice\nbob'],
    ['10,000 characters', 'a'.repeat(10_000)],
    ['257 characters', 'b'.repeat(257)],
    ['nothing', ''],
    ['white space', '   '],
  ])('refuses a name with %s before asking the server', async (_label, input) => {
    await slapd.clearLog();
    expect(await directory().verifyPassword(input, LDAP_USERS.alice.password)).toEqual({ ok: false, reason: 'invalid-credentials' });
    await slapd.logged();
    expect(slapd.operations().filter((o) => o.type === 'SRCH' || o.type === 'BIND')).toEqual([]);
  });

  it('finds a non-ASCII name typed in NFC or NFD, and compares the password as typed', async () => {
    const d = directory();
    const nfc = LDAP_USERS.zoe.uid.normalize('NFC');
    const nfd = LDAP_USERS.zoe.uid.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const expected = { ok: true, user: expect.objectContaining({ username: 'zoë', displayName: 'Zoë Ångström', groups: ['dev'] }) };
    expect(await d.verifyPassword(nfc, LDAP_USERS.zoe.password)).toEqual(expected);
    expect(await d.verifyPassword(nfd, LDAP_USERS.zoe.password)).toEqual(expected);
    expect(await d.verifyPassword('ZOË', LDAP_USERS.zoe.password)).toEqual(expected);
    // The directory holds the NFC password: the NFD spelling is another password.
    expect(await d.verifyPassword(nfc, LDAP_USERS.zoe.password.normalize('NFD'))).toEqual({ ok: false, reason: 'invalid-credentials', username: 'zoë' });
  });

  it('refuses a name two entries answer to, binding as neither', async () => {
    await slapd.clearLog();
    expect(await directory().verifyPassword('twin', 'twin-secret')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(await userBinds()).toEqual([]);
  });

  it('refuses a ppolicy-locked account whatever the password, and tells nothing', async () => {
    const d = directory();
    expect(await d.verifyPassword('locked', LDAP_USERS.locked.password)).toEqual({ ok: false, reason: 'invalid-credentials', username: 'locked' });
    expect(await d.verifyPassword('locked', 'wrong')).toEqual({ ok: false, reason: 'invalid-credentials', username: 'locked' });
  });

  it('tells a user reset by an administrator (pwdReset) to change their password, only with the right password', async () => {
    const d = directory();
    expect(await d.verifyPassword('reset', LDAP_USERS.reset.password)).toEqual({ ok: false, reason: 'account-state', state: 'password-must-change', username: 'reset' });
    expect(await d.verifyPassword('reset', 'wrong')).toEqual({ ok: false, reason: 'invalid-credentials', username: 'reset' });
  });
});

describe('groups', () => {
  const signIn = async (overrides: Record<string, unknown>, uid: keyof typeof LDAP_USERS = 'alice') => {
    const result = await directory(overrides).verifyPassword(LDAP_USERS[uid].uid, LDAP_USERS[uid].password);
    if (!result.ok) throw new Error(`sign-in failed: ${JSON.stringify(result)}`);
    return result.user.groups;
  };

  it('reads direct groups from memberOf, or by a group search', async () => {
    expect(await signIn({})).toEqual(['cyc-a', 'dev']);
    expect(await signIn({ groups: { lookup: 'search' } })).toEqual(['cyc-a', 'dev']);
    expect(await signIn({ groups: { lookup: 'search', filter: '(&(objectClass=groupOfNames)(|(member={dn})(cn={username})))' } })).toEqual(['cyc-a', 'dev']);
  });

  it('follows nested groups level by level, and ends on a cycle', async () => {
    expect(await signIn({ groups: { nested: true } })).toEqual(['all-staff', 'cyc-a', 'cyc-b', 'dev', 'eng']);
    expect(await signIn({ groups: { lookup: 'search', nested: true } })).toEqual(['all-staff', 'cyc-a', 'cyc-b', 'dev', 'eng']);
  });

  it('stops nesting at max_depth', async () => {
    expect(await signIn({ groups: { nested: true, max_depth: 1 } })).toEqual(['cyc-a', 'cyc-b', 'dev', 'eng']);
  });

  it(`reads all ${MANY_GROUPS} groups of a user in that many, by memberOf and by a paged search`, async () => {
    const byMemberOf = await signIn({}, 'many');
    expect(byMemberOf).toHaveLength(MANY_GROUPS);
    expect(byMemberOf[0]).toBe('g0000');
    expect(byMemberOf.at(-1)).toBe('g1999');
    expect(await signIn({ groups: { lookup: 'search' } }, 'many')).toEqual(byMemberOf);
    expect(await signIn({ groups: { nested: true } }, 'many')).toEqual(byMemberOf);
  });
});

describe('lookupUser and the hot path', () => {
  it('looks a user up with the service account and shares the record', async () => {
    const d = directory();
    expect(await d.lookupUser('bob')).toEqual(expect.objectContaining({ username: 'bob', groups: ['ops'], source: 'ldap' }));
    expect(await d.lookupUser('nobody')).toBeUndefined();
    expect(await d.lookupUser('reset')).toBeUndefined();
    const user = (await d.lookupUser('bob'))!;
    expect(await d.loadSessionUser(user)).toEqual(user);
  });

  it('answers a session of a user nobody signed in or looked up as gone', async () => {
    const d = directory();
    expect(await d.loadSessionUser({ username: 'carol', displayName: 'Carol', email: '', groups: ['admins'], source: 'ldap' })).toBeNull();
  });
});

describe('a directory that cannot be used', () => {
  it('is unavailable when no URL answers, within the timeouts', async () => {
    const d = directory({ url: ['ldap://127.0.0.1:1', 'ldaps://127.0.0.1:1'], connect_timeout: '500ms', timeout: '500ms' });
    const started = Date.now();
    await expect(d.verifyPassword('alice', 'x-password')).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses a certificate for another name, and one from another CA', async () => {
    await expect(directory({ tls: { ca_file: slapd.certificates.caFile } }).verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await expect(directory({ tls: { ca_file: slapd.certificates.caFile, server_name: 'other.test' } }).verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(
      DirectoryUnavailableError,
    );
    await expect(
      directory({ tls: { ca_file: slapd.certificates.otherCaFile, server_name: 'ldap.test' } }).verifyPassword('alice', LDAP_USERS.alice.password),
    ).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await expect(
      directory({ url: slapd.ldapsUrl, tls: { ca_file: slapd.certificates.otherCaFile, server_name: 'ldap.test' } }).verifyPassword('alice', LDAP_USERS.alice.password),
    ).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await expect(directory({ url: slapd.ldapsUrl, tls: {} }).verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('works over LDAPS, and with insecure_skip_verify only when asked', async () => {
    expect((await directory({ url: slapd.ldapsUrl }).verifyPassword('alice', LDAP_USERS.alice.password)).ok).toBe(true);
    expect((await directory({ tls: { insecure_skip_verify: true } }).verifyPassword('alice', LDAP_USERS.alice.password)).ok).toBe(true);
  });

  it('stops at a refused service account instead of trying every server', async () => {
    await slapd.clearLog();
    const d = directory({ url: [slapd.url, slapd.ldapsUrl], password: 'wrong-service-password' });
    await expect(d.verifyPassword('alice', LDAP_USERS.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await slapd.logged();
    expect(slapd.binds().filter((b) => b.dn?.startsWith('cn=gatehouse'))).toHaveLength(1);
  });

  it('is not fooled into binding as the user: the DN comes from the search, never from the input', async () => {
    await slapd.clearLog();
    await directory().verifyPassword(dnOf('alice'), LDAP_USERS.alice.password);
    expect(await userBinds()).toEqual([]);
  });
});

describe('checks take turns per client address', () => {
  /** Holds `count` places in `ip`'s lane until the returned function is called. */
  function hold(queue: HashQueue, ip: string, count: number): () => Promise<void> {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = Array.from({ length: count }, () => queue.run(hashLaneOf(ip), () => gate));
    return async () => {
      release();
      await Promise.all(held);
    };
  }

  it('answers busy for a full lane at once, for real and imitated checks alike, without asking the server', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 2, maxWaiting: 10 });
    const d = directory({}, queue);
    const release = hold(queue, '10.9.0.1', 2);
    await slapd.clearLog();
    const busy = { ok: false, reason: 'busy', scope: 'address' };
    expect(await d.verifyPassword('alice', LDAP_USERS.alice.password, { clientIp: '10.9.0.1' })).toEqual(busy);
    expect(await d.verifyPassword('alice', 'wrong-password', { clientIp: '10.9.0.1' })).toEqual(busy);
    expect(await d.verifyPassword('nobody-at-all', 'whatever-password', { clientIp: '10.9.0.1' })).toEqual(busy);
    expect(await d.imitateVerify('alice', { clientIp: '10.9.0.1' })).toEqual(busy);
    // Another address has a lane of its own, and its turn once the held checks end.
    const other = d.verifyPassword('alice', LDAP_USERS.alice.password, { clientIp: '10.9.0.2' });
    await release();
    expect((await other).ok).toBe(true);
    await slapd.logged();
    expect(slapd.binds().filter((b) => b.dn === dnOf('alice'))).toHaveLength(1);
  });

  it('answers busy for everyone once the whole queue is full', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 5, maxWaiting: 1 });
    const d = directory({}, queue);
    const releaseRunning = hold(queue, '10.9.1.1', 1);
    const releaseWaiting = hold(queue, '10.9.1.2', 1);
    expect(await d.verifyPassword('bob', LDAP_USERS.bob.password, { clientIp: '10.9.1.3' })).toEqual({ ok: false, reason: 'busy', scope: 'all' });
    expect(await d.imitateVerify('bob', { clientIp: '10.9.1.3' })).toEqual({ ok: false, reason: 'busy', scope: 'all' });
    await releaseRunning();
    await releaseWaiting();
    expect((await d.verifyPassword('bob', LDAP_USERS.bob.password, { clientIp: '10.9.1.3' })).ok).toBe(true);
  });

  it("lets someone else's sign-in go ahead of all but one of a burst of guesses from one address", async () => {
    const d = directory({}, createHashQueue({ concurrency: 1, perLane: 10, maxWaiting: 50 }));
    await d.verifyPassword('bob', LDAP_USERS.bob.password); // warms the pools
    const finished: string[] = [];
    const guesses = Array.from({ length: 6 }, (_, i) => d.verifyPassword('alice', `guess-${i}`, { clientIp: '10.9.2.1' }).then(() => void finished.push(`guess-${i}`)));
    const honest = d.verifyPassword('bob', LDAP_USERS.bob.password, { clientIp: '10.9.2.2' }).then((r) => void finished.push(r.ok ? 'bob' : 'bob-failed'));
    await Promise.all([...guesses, honest]);
    // The first guess was running and the second had its turn before bob's lane had one: then bob.
    expect(finished.indexOf('bob')).toBe(2);
  });

  it('gives its turn back when the directory cannot be asked', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 1, maxWaiting: 1 });
    const d = directory({ url: 'ldap://127.0.0.1:1', connect_timeout: '500ms', timeout: '500ms' }, queue);
    for (let i = 0; i < 3; i++) await expect(d.verifyPassword('alice', 'x-password', { clientIp: '10.9.3.1' })).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect({ running: queue.running, waiting: queue.waiting }).toEqual({ running: 0, waiting: 0 });
  });
});
