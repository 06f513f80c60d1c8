import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../core/clock.js';
import { createSilentLogger } from '../../core/logger.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import type { DirectoryChange } from '../directory.js';
import type { AccountState } from './account-state.js';
import type { LdapUserRecord } from './ldap-user.js';
import { createUserRefresher, type RefreshLookup } from './refresh-users.js';
import { createUserRecords } from './user-records.js';

const FINE: AccountState = { disabled: false, accountExpired: false, locked: false, passwordExpired: false, mustChange: false, passwordMark: 'pwdChangedTime=1' };

function record(username: string, extra: Partial<LdapUserRecord> = {}, groups = ['dev']): LdapUserRecord {
  return {
    dn: `uid=${username},ou=people,dc=corp`,
    user: { username, displayName: username, email: `${username}@corp`, groups, source: 'ldap' },
    passwordMark: 'pwdChangedTime=1',
    checkedAt: 0,
    signedInAt: 0,
    ...extra,
  };
}

async function setup(options: { hasSessions?: (u: string) => Promise<boolean> } = {}) {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const logger = createSilentLogger();
  const records = createUserRecords({ kv, logger, now: clock.now }, { mirrorTtlMs: 10_000, recordTtlSeconds: 3600 });
  const answers = new Map<string, RefreshLookup | Error>();
  const changes: DirectoryChange[] = [];
  const looked: string[] = [];
  const refresher = createUserRefresher(
    {
      kv,
      logger,
      now: clock.now,
      records,
      lookup: async (username) => {
        looked.push(username);
        const answer = answers.get(username) ?? { kind: 'gone', reason: 'not-found' };
        if (answer instanceof Error) throw answer;
        return answer;
      },
      ...(options.hasSessions ? { hasSessions: options.hasSessions } : {}),
      onChange: (change) => changes.push(change),
    },
    { intervalMs: 60_000, concurrency: 2, start: false },
  );
  // Let the pub/sub subscription go live, so copies are kept.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { clock, kv, records, refresher, answers, changes, looked };
}

describe('shared LDAP user records', () => {
  it("drops another instance's copy when one instance changes a user", async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const make = () => createUserRecords({ kv, logger: createSilentLogger(), now: clock.now }, { mirrorTtlMs: 10_000, recordTtlSeconds: 3600 });
    const a = make();
    const b = make();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await a.save(record('alice'));
    expect(b.peek('alice')).toBeUndefined();
    expect((await b.load('alice'))?.user.groups).toEqual(['dev']);
    expect(b.peek('alice')?.user.groups).toEqual(['dev']);
    await a.save(record('alice', {}, ['ops']));
    expect(a.peek('alice')?.user.groups).toEqual(['ops']);
    expect(b.peek('alice')).toBeUndefined();
    await a.remove('alice');
    expect(await b.load('alice')).toBeNull();
    expect(b.peek('alice')).toBeNull();
    // Copies are short-lived: past the TTL only the store answers.
    clock.advance(10_000);
    expect(b.peek('alice')).toBeUndefined();
  });

  it('reads the store once for requests that find no copy at the same moment, and again after a change', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    let reads = 0;
    let failing = false;
    const counted = { ...kv, get: (key: string) => (reads++, failing ? Promise.reject(new Error('store down')) : kv.get(key)) };
    const a = createUserRecords({ kv, logger: createSilentLogger(), now: clock.now }, { mirrorTtlMs: 10_000, recordTtlSeconds: 3600 });
    const b = createUserRecords({ kv: counted, logger: createSilentLogger(), now: clock.now }, { mirrorTtlMs: 10_000, recordTtlSeconds: 3600 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    await a.save(record('alice'));
    await a.save(record('bob'));
    const first = await Promise.all([...Array.from({ length: 50 }, () => b.load('alice')), b.load('bob'), b.load('bob')]);
    expect(first.map((r) => r?.user.username)).toEqual([...Array(50).fill('alice'), 'bob', 'bob']);
    expect(reads).toBe(2);
    // A change announced while a read is under way: later requests read again, and get the change.
    const before = b.load('alice');
    await a.save(record('alice', {}, ['ops']));
    const after = b.load('alice');
    expect((await before)?.user.groups).toEqual(['dev']);
    expect((await after)?.user.groups).toEqual(['ops']);
    expect(reads).toBe(4);
    // Past the copy's TTL, one read again for the lot; a failed read fails its sharers, not the next request.
    clock.advance(10_000);
    await Promise.all(Array.from({ length: 20 }, () => b.load('alice')));
    expect(reads).toBe(5);
    failing = true;
    const failed = await Promise.allSettled([b.load('bob'), b.load('bob')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    failing = false;
    expect((await b.load('bob'))?.user.username).toBe('bob');
    expect(reads).toBe(7);
  });

  it('treats a malformed or foreign shared record as no record', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const records = createUserRecords({ kv, logger: createSilentLogger(), now: clock.now }, { mirrorTtlMs: 10_000, recordTtlSeconds: 3600 });
    for (const text of [
      'not json',
      '{}',
      JSON.stringify({ ...record('mallory'), dn: 'x' }),
      JSON.stringify({ ...record('alice'), user: { ...record('alice').user, groups: [1] } }),
    ]) {
      await kv.set('ldap:user:alice', text, 60);
      expect(await records.load('alice')).toBeNull();
    }
  });
});

describe('the LDAP user refresh', () => {
  it('confirms an unchanged user without telling anyone', async () => {
    const t = await setup();
    await t.records.save(record('alice'));
    t.clock.advance(5_000);
    t.answers.set('alice', { kind: 'found', record: record('alice', { checkedAt: 1 }), state: FINE });
    expect(await t.refresher.refreshAll()).toMatchObject({ checked: 1, revoked: [], updated: [], failed: false });
    expect((await t.records.load('alice'))?.checkedAt).toBe(t.clock.now());
    expect(t.changes).toEqual([]);
  });

  it('saves and announces new groups', async () => {
    const t = await setup();
    await t.records.save(record('alice'));
    t.answers.set('alice', { kind: 'found', record: record('alice', {}, []), state: FINE });
    expect(t.records.peek('alice')?.user.groups).toEqual(['dev']);
    expect(await t.refresher.refreshAll()).toMatchObject({ updated: ['alice'] });
    expect(t.changes).toEqual([{ revoked: [], updated: ['alice'], source: 'ldap' }]);
    expect(t.records.peek('alice')?.user.groups).toEqual([]);
    expect((await t.records.load('alice'))?.user.groups).toEqual([]);
  });

  it.each<[string, RefreshLookup]>([
    ['removed', { kind: 'gone', reason: 'not-found' }],
    ['ambiguous now', { kind: 'gone', reason: 'ambiguous' }],
    ['disabled', { kind: 'found', record: record('alice'), state: { ...FINE, disabled: true } }],
    ['expired', { kind: 'found', record: record('alice'), state: { ...FINE, accountExpired: true } }],
    ['told to change the password', { kind: 'found', record: record('alice'), state: { ...FINE, mustChange: true } }],
    ['given a new password', { kind: 'found', record: record('alice', { passwordMark: 'pwdChangedTime=2' }), state: FINE }],
    ['moved to another DN', { kind: 'found', record: record('alice', { dn: 'uid=alice,ou=former,dc=corp' }), state: FINE }],
  ])('revokes a user %s, everywhere', async (_label, answer) => {
    const t = await setup();
    await t.records.save(record('alice'));
    await t.records.save(record('bob'));
    t.answers.set('alice', answer);
    t.answers.set('bob', { kind: 'found', record: record('bob'), state: FINE });
    expect(await t.refresher.refreshAll()).toMatchObject({ checked: 2, revoked: ['alice'], updated: [] });
    expect(t.changes).toEqual([{ revoked: ['alice'], updated: [], source: 'ldap' }]);
    expect(await t.records.load('alice')).toBeNull();
    expect(await t.records.names()).toEqual(['bob']);
  });

  it("keeps a user whose lock or expired password is the directory's business at sign-in", async () => {
    const t = await setup();
    await t.records.save(record('alice'));
    t.answers.set('alice', { kind: 'found', record: record('alice'), state: { ...FINE, locked: true, passwordExpired: true } });
    expect(await t.refresher.refreshAll()).toMatchObject({ revoked: [] });
  });

  it('stops at the first failed lookup and confirms no one, so records age towards the grace', async () => {
    const t = await setup();
    await t.records.save(record('alice'));
    await t.records.save(record('bob'));
    t.answers.set('alice', new Error('directory down'));
    t.answers.set('bob', new Error('directory down'));
    t.clock.advance(60_000);
    const summary = await t.refresher.refreshAll();
    expect(summary.failed).toBe(true);
    expect(summary.revoked).toEqual([]);
    expect((await t.records.load('alice'))?.checkedAt).toBe(0);
    expect((await t.records.load('bob'))?.checkedAt).toBe(0);
    expect(t.looked.length).toBeLessThanOrEqual(2);
  });

  it('stops refreshing users without a live session, without revoking anything', async () => {
    const t = await setup({ hasSessions: async (u) => u === 'bob' });
    await t.records.save(record('alice'));
    await t.records.save(record('bob'));
    t.answers.set('bob', { kind: 'found', record: record('bob'), state: FINE });
    expect(await t.refresher.refreshAll()).toMatchObject({ checked: 1, dropped: 1, revoked: [] });
    expect(t.looked).toEqual(['bob']);
    expect(await t.records.names()).toEqual(['bob']);
    expect(t.changes).toEqual([]);
  });

  it('keeps a user signed in a moment ago whose session is not written yet', async () => {
    const t = await setup({ hasSessions: async () => false });
    await t.records.save(record('alice', { checkedAt: t.clock.now(), signedInAt: t.clock.now() }));
    t.answers.set('alice', { kind: 'found', record: record('alice'), state: FINE });
    t.clock.advance(1_000);
    expect(await t.refresher.refreshAll()).toMatchObject({ checked: 1, dropped: 0 });
    expect((await t.records.load('alice'))?.signedInAt).toBe(t.clock.now() - 1_000);
    t.clock.advance(60_000);
    expect(await t.refresher.refreshAll()).toMatchObject({ checked: 0, dropped: 1 });
    expect(await t.records.load('alice')).toBeNull();
  });

  it('runs one round at a time', async () => {
    const t = await setup();
    await t.records.save(record('alice'));
    t.answers.set('alice', { kind: 'found', record: record('alice'), state: FINE });
    const [a, b] = await Promise.all([t.refresher.refreshAll(), t.refresher.refreshAll()]);
    expect(a).toBe(b);
    expect(t.looked).toEqual(['alice']);
  });
});
