import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import { createFixedClock } from '../core/clock.js';
import { createSilentLogger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createRegulator } from '../regulation/create-regulator.js';
import { createSessionStore } from '../session/session-store.js';
import type { SessionUser } from '../session/session.js';
import { openTestStorage } from '../storage/test-storage.js';
import { signInWithPassword } from './sign-in-with-password.js';

const ALICE: SessionUser = { username: 'alice', displayName: 'Alice', email: 'alice@example.com', groups: [] };

function setup() {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const storage = openTestStorage();
  const events: AuditInput[] = [];
  const audit = { record: async (e: AuditInput) => void events.push(e), flush: async () => {}, close: () => {} };
  const sessions = createSessionStore({ kv, clock, logger: createSilentLogger() }, { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 10 });
  const hashed: string[] = [];
  const directory: Directory = {
    async verifyPassword(username, password) {
      hashed.push(username);
      return username === 'alice' && password === 'right' ? { ok: true, user: ALICE } : { ok: false, reason: 'invalid-credentials' };
    },
    findUser: (username) => (username === 'alice' ? ALICE : undefined),
    close() {},
  };
  const regulator = createRegulator({ kv, clock, audit, endSessions: (u) => sessions.destroyAllForUser(u) }, {
    account: { max_retries: 3, find_time: 600, ban_time: 900 },
    address: { max_retries: 8, find_time: 600, ban_time: 900 },
    lockout: { max_failures: 20, find_time: 86400, duration: 3600 },
  });
  const deps = { directory, sessions, regulator, accountStates: storage.accountStates, logger: createSilentLogger(), audit, now: clock.now };
  const attempt = (username: string, password: string, ip = '10.0.0.1') => signInWithPassword(deps, { username, password, rememberMe: false, clientIp: ip });
  return { attempt, hashed, events, regulator, storage };
}

describe('signInWithPassword', () => {
  it('still hashes the password of a locked or banned account, so its answer takes as long as a wrong one', async () => {
    const { attempt, hashed, regulator } = setup();
    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    expect(await attempt('alice', 'right')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(hashed).toEqual(['alice']);
    await regulator.unlock('alice', { actor: 'root' });
    for (let i = 0; i < 3; i++) await attempt('alice', 'wrong');
    hashed.length = 0;
    expect(await attempt('alice', 'right')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(hashed).toEqual(['alice']);
  });

  it('gives an unknown name the same answer and the same counters as a known one', async () => {
    const { attempt } = setup();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await attempt('zed', 'guess'));
    expect(answers).toEqual(Array(4).fill({ ok: false, reason: 'invalid-credentials' }));
  });

  it('refuses a banned address at once, without hashing, and says it is the address', async () => {
    const { attempt, hashed } = setup();
    for (let i = 0; i < 8; i++) await attempt(`user${i}`, 'guess', '192.0.2.1');
    hashed.length = 0;
    expect(await attempt('alice', 'right', '192.0.2.1')).toEqual({ ok: false, reason: 'address-throttled' });
    expect(hashed).toEqual([]);
    expect((await attempt('alice', 'right', '192.0.2.2')).ok).toBe(true);
  });

  it('refuses an account disabled in Gatehouse with the generic answer, after the hash', async () => {
    const { attempt, storage, events } = setup();
    await storage.accountStates.disable('alice', { actor: 'root', reason: null, now: 1 });
    expect(await attempt('alice', 'right')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(events.at(-1)).toMatchObject({ kind: 'sign_in.failure', subject: 'alice', reason: 'disabled' });
  });

  it('keeps the typed name out of the audit log when no such user exists', async () => {
    const { attempt, events } = setup();
    await attempt('my-password-typed-as-name', 'x');
    expect(events.at(-1)).toMatchObject({ kind: 'sign_in.failure', reason: 'unknown-or-disabled-user' });
    expect(JSON.stringify(events)).not.toContain('my-password-typed-as-name');
  });

  it('a success resets the password counter only', async () => {
    const { attempt, regulator } = setup();
    await attempt('alice', 'wrong');
    await attempt('alice', 'wrong');
    expect((await attempt('alice', 'right')).ok).toBe(true);
    await attempt('alice', 'wrong');
    await attempt('alice', 'wrong');
    expect((await attempt('alice', 'right')).ok).toBe(true);
    expect((await regulator.lockState('alice')).recentFailures).toBe(4);
  });
});

describe('signInWithPassword with a directory that asks a server (LDAP)', () => {
  function setupLdap() {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const storage = openTestStorage();
    const audit = { record: async () => undefined, flush: async () => {}, close: () => {} };
    const sessions = createSessionStore({ kv, clock, logger: createSilentLogger() }, { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 10 });
    const binds: string[] = [];
    const imitated: string[] = [];
    const ALIASES: Record<string, string> = { alice: 'alice', 'alice@corp.example': 'alice', 'ａｌｉｃｅ': 'alice' };
    const directory: Directory = {
      // As the LDAP directory does: find the account, ask before binding, then bind.
      async verifyPassword(username, password, options) {
        const account = ALIASES[username.toLowerCase()];
        if (!account) return { ok: false, reason: 'invalid-credentials' };
        if (options?.mayVerify && !(await options.mayVerify(account))) return { ok: false, reason: 'invalid-credentials', username: account };
        binds.push(username);
        if (password === 'expired-but-right') return { ok: false, reason: 'account-state', state: 'password-expired', username: account };
        return password === 'right' ? { ok: true, user: ALICE } : { ok: false, reason: 'invalid-credentials', username: account };
      },
      async imitateVerify(username) {
        imitated.push(username);
      },
      findUser: () => undefined,
      close() {},
    };
    const regulator = createRegulator({ kv, clock, audit, endSessions: (u) => sessions.destroyAllForUser(u) }, {
      account: { max_retries: 3, find_time: 600, ban_time: 900 },
      address: { max_retries: 100, find_time: 600, ban_time: 900 },
      lockout: { max_failures: 20, find_time: 86400, duration: 3600 },
    });
    const deps = { directory, sessions, regulator, accountStates: storage.accountStates, logger: createSilentLogger(), audit, now: clock.now };
    const attempt = (username: string, password: string) => signInWithPassword(deps, { username, password, rememberMe: false, clientIp: '10.0.0.1' });
    return { attempt, binds, imitated, regulator };
  }

  it('imitates instead of verifying once regulation refuses: the server sees no bind', async () => {
    const { attempt, binds, imitated } = setupLdap();
    for (let i = 0; i < 3; i++) await attempt('alice', 'wrong');
    expect(binds).toHaveLength(3);
    expect(await attempt('alice', 'right')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(binds).toHaveLength(3);
    expect(imitated).toEqual(['alice']);
  });

  it('counts failures under every spelling against the one account, and refuses the others before a bind', async () => {
    const { attempt, binds, regulator } = setupLdap();
    await attempt('alice@corp.example', 'wrong');
    await attempt('ａｌｉｃｅ', 'wrong');
    await attempt('ALICE', 'wrong');
    expect(binds).toHaveLength(3);
    expect((await regulator.lockState('alice')).recentFailures).toBe(3);
    expect(await attempt('alice@corp.example', 'right')).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(binds).toHaveLength(3);
  });

  it('reports an account state without counting a failure', async () => {
    const { attempt, regulator } = setupLdap();
    for (let i = 0; i < 5; i++) expect(await attempt('alice', 'expired-but-right')).toEqual({ ok: false, reason: 'account-state', state: 'password-expired' });
    expect((await regulator.lockState('alice')).recentFailures).toBe(0);
  });
});
