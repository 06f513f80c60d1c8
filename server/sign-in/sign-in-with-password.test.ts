import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import { createFixedClock } from '../core/clock.js';
import { createSilentLogger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createRegulator } from '../regulation/create-regulator.js';
import { createSessionStore } from '../session/session-store.js';
import type { SessionUser } from '../session/session.js';
import { openTestStorage } from '../storage/testing/test-storage.js';
import { signIn } from './sign-in.js';

const ALICE: SessionUser = { username: 'alice', displayName: 'Alice', email: 'alice@example.com', groups: [] };

/**
 * `gated`: password checks wait until `openGate` (a slow hasher), so that a burst is all in
 * flight at once; `busy`: the directory's hash queue refuses every check.
 */
function setup(options: { gated?: boolean; busy?: 'address' | 'all' } = {}) {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const storage = openTestStorage();
  const events: AuditInput[] = [];
  const audit = { record: async (e: AuditInput) => void events.push(e), flush: async () => {}, close: () => {} };
  const sessions = createSessionStore({ kv, clock, logger: createSilentLogger() }, { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 10 });
  const hashed: string[] = [];
  const lanes: string[] = [];
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const directory: Directory = {
    async verifyPassword(username, password, { clientIp = '' } = {}) {
      if (options.busy) return { ok: false, reason: 'busy', scope: options.busy };
      hashed.push(username);
      lanes.push(clientIp);
      if (options.gated) await gate;
      return username === 'alice' && password === 'right' ? { ok: true, user: ALICE } : { ok: false, reason: 'invalid-credentials' };
    },
    findUser: (username) => (username === 'alice' ? ALICE : undefined),
    close() {},
  };
  const regulator = createRegulator(
    { kv, clock, audit, endSessions: (u) => sessions.destroyAllForUser(u) },
    {
      account: { max_retries: 3, find_time: 600, ban_time: 900 },
      address: { max_retries: 8, find_time: 600, ban_time: 900 },
      lockout: { max_failures: 20, find_time: 86400, duration: 3600 },
    },
  );
  const deps = { directory, sessions, regulator, accountStates: storage.accountStates, logger: createSilentLogger(), audit, now: clock.now };
  const attempt = (username: string, password: string, ip = '10.0.0.1') => signIn(deps, { method: 'password', username, password, rememberMe: false, clientIp: ip });
  return { attempt, hashed, lanes, openGate, events, regulator, storage };
}

describe('signIn with a password', () => {
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

  it('a burst of 50 parallel guesses from one address: only the address limit of them are hashed, the rest refused at once', async () => {
    const { attempt, hashed, openGate, regulator } = setup({ gated: true });
    const answers = Array.from({ length: 50 }, (_, i) => attempt(`user${i}`, 'guess', '192.0.2.1'));
    await new Promise((resolve) => setImmediate(resolve));
    // While the first eight are still being checked, the other 42 were answered without a hash.
    expect(hashed).toHaveLength(8);
    openGate();
    const results = await Promise.all(answers);
    expect(results.filter((r) => !r.ok && r.reason === 'address-throttled')).toHaveLength(42);
    expect(results.filter((r) => !r.ok && r.reason === 'invalid-credentials')).toHaveLength(8);
    // The eight failures banned the address; another address is untouched.
    expect((await regulator.check({ username: 'x', kind: 'password', ip: '192.0.2.1' })).ok).toBe(false);
    expect((await regulator.check({ username: 'x', kind: 'password', ip: '192.0.2.2' })).ok).toBe(true);
  });

  it('a burst of 50 parallel guesses at one account from 50 addresses: all hashed alike, only max_retries checked and counted, the right password among them refused', async () => {
    const { attempt, hashed, openGate, regulator, events } = setup({ gated: true });
    const answers = Array.from({ length: 50 }, (_, i) => attempt('alice', i === 10 ? 'right' : `guess-${i}`, `10.1.0.${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    // Refused or not, every attempt is hashed: the answer's timing must not say which.
    expect(hashed).toHaveLength(50);
    openGate();
    const results = await Promise.all(answers);
    expect(results).toEqual(Array(50).fill({ ok: false, reason: 'invalid-credentials' }));
    expect((await regulator.lockState('alice')).recentFailures).toBe(3);
    const reasons = events.filter((e) => e.kind === 'sign_in.failure').map((e) => e.reason);
    expect(reasons.filter((r) => r === 'wrong-password')).toHaveLength(3);
    expect(reasons.filter((r) => r === 'throttled')).toHaveLength(47);
  });

  it('a burst of 50 parallel guesses at one account from one address: hashed up to the address limit, the rest refused for the address at once', async () => {
    const { attempt, hashed, openGate, regulator } = setup({ gated: true });
    const answers = Array.from({ length: 50 }, (_, i) => attempt('alice', `guess-${i}`, '192.0.2.5'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(hashed).toHaveLength(8);
    openGate();
    const results = await Promise.all(answers);
    expect(results.filter((r) => !r.ok && r.reason === 'address-throttled')).toHaveLength(42);
    expect(results.filter((r) => !r.ok && r.reason === 'invalid-credentials')).toHaveLength(8);
    // Three were checked (the account's limit); five more hashed only so their answer takes as long.
    expect((await regulator.lockState('alice')).recentFailures).toBe(3);
  });

  it("checks each password in its caller's lane of the hash queue", async () => {
    const { attempt, lanes } = setup();
    await attempt('alice', 'wrong', '192.0.2.1');
    await attempt('zed', 'guess', '2001:db8::7');
    expect(lanes).toEqual(['192.0.2.1', '2001:db8::7']);
  });

  it.each(['address', 'all'] as const)('a full hash queue (%s) answers busy for known, unknown and locked accounts alike, and counts nothing', async (scope) => {
    const { attempt, regulator, events } = setup({ busy: scope });
    await regulator.lock('bob', { reason: 'admin', actor: 'root' });
    const answers = [await attempt('alice', 'right'), await attempt('alice', 'wrong'), await attempt('zed', 'guess'), await attempt('bob', 'whatever')];
    expect(answers).toEqual(Array(4).fill({ ok: false, reason: 'busy', scope }));
    expect((await regulator.lockState('alice')).recentFailures).toBe(0);
    expect(events.filter((e) => e.kind === 'sign_in.failure').map((e) => e.reason)).toEqual(['busy', 'busy', 'busy', 'busy']);
    // Nothing stays in flight: a later attempt is let through as usual.
    expect((await regulator.admit({ username: 'alice', kind: 'password', ip: '10.0.0.1' })).verdict).toEqual({ ok: true });
  });

  it('an attempt stops counting as in flight when it ends, however it ends', async () => {
    const { attempt, regulator, storage } = setup();
    await storage.accountStates.disable('alice', { actor: 'root', reason: null, now: 1 });
    for (let i = 0; i < 5; i++) await attempt('alice', 'right');
    await storage.accountStates.enable('alice');
    const admitted = await Promise.all(Array.from({ length: 3 }, (_, i) => regulator.admit({ username: 'alice', kind: 'password', ip: `10.2.0.${i}` })));
    expect(admitted.every((a) => a.verdict.ok)).toBe(true);
  });
});

describe('signInWithPassword with a directory that asks a server (LDAP)', () => {
  /** `queue.busy`: the directory's queue of checks turns every check away, real or imitated. */
  function setupLdap() {
    const queue: { busy?: 'address' | 'all' } = {};
    const lanes: string[] = [];
    const asked: string[] = [];
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const storage = openTestStorage();
    const audit = { record: async () => undefined, flush: async () => {}, close: () => {} };
    const sessions = createSessionStore({ kv, clock, logger: createSilentLogger() }, { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 10 });
    const binds: string[] = [];
    const imitated: string[] = [];
    const ALIASES: Record<string, string> = { alice: 'alice', 'alice@corp.example': 'alice', ａｌｉｃｅ: 'alice' };
    const directory: Directory = {
      // As the LDAP directory does: find the account, ask before binding, then bind.
      async verifyPassword(username, password, options) {
        lanes.push(options?.clientIp ?? '');
        if (queue.busy) return { ok: false, reason: 'busy', scope: queue.busy };
        const account = ALIASES[username.toLowerCase()];
        if (!account) return { ok: false, reason: 'invalid-credentials' };
        asked.push(account);
        if (options?.mayVerify && !(await options.mayVerify(account))) return { ok: false, reason: 'invalid-credentials', username: account };
        binds.push(username);
        if (password === 'expired-but-right') return { ok: false, reason: 'account-state', state: 'password-expired', username: account };
        return password === 'right' ? { ok: true, user: ALICE } : { ok: false, reason: 'invalid-credentials', username: account };
      },
      async imitateVerify(username, options) {
        lanes.push(options?.clientIp ?? '');
        if (queue.busy) return { ok: false, reason: 'busy', scope: queue.busy };
        imitated.push(username);
        return { ok: false, reason: 'invalid-credentials' };
      },
      findUser: () => undefined,
      close() {},
    };
    const regulator = createRegulator(
      { kv, clock, audit, endSessions: (u) => sessions.destroyAllForUser(u) },
      {
        account: { max_retries: 3, find_time: 600, ban_time: 900 },
        address: { max_retries: 100, find_time: 600, ban_time: 900 },
        lockout: { max_failures: 20, find_time: 86400, duration: 3600 },
      },
    );
    const deps = { directory, sessions, regulator, accountStates: storage.accountStates, logger: createSilentLogger(), audit, now: clock.now };
    const attempt = (username: string, password: string, ip = '10.0.0.1') => signIn(deps, { method: 'password', username, password, rememberMe: false, clientIp: ip });
    return { attempt, binds, imitated, regulator, queue, lanes, asked };
  }

  it("waits in the caller's lane for real and imitated checks alike", async () => {
    const { attempt, regulator, lanes, imitated } = setupLdap();
    await attempt('alice', 'wrong', '192.0.2.1');
    await regulator.lock('alice', { reason: 'admin', actor: 'root' });
    await attempt('alice', 'right', '2001:db8::7');
    expect(imitated).toEqual(['alice']);
    expect(lanes).toEqual(['192.0.2.1', '2001:db8::7']);
  });

  it.each(['address', 'all'] as const)(
    'a full queue of checks (%s) answers busy for open, unknown, aliased and locked accounts alike: no search, no bind, nothing counted',
    async (scope) => {
      const { attempt, regulator, queue, binds, asked, imitated } = setupLdap();
      await regulator.lock('bob', { reason: 'admin', actor: 'root' });
      queue.busy = scope;
      const names: Array<[string, string]> = [
        ['alice', 'right'],
        ['alice', 'wrong'],
        ['alice@corp.example', 'wrong'],
        ['ａｌｉｃｅ', 'right'],
        ['nobody', 'guess'],
        ['bob', 'whatever'],
      ];
      for (const [name, password] of names) expect(await attempt(name, password)).toEqual({ ok: false, reason: 'busy', scope });
      expect({ binds, asked, imitated }).toEqual({ binds: [], asked: [], imitated: [] });
      expect((await regulator.lockState('alice')).recentFailures).toBe(0);
      // Nothing stays in flight: once the queue has room, the same attempts are checked as usual.
      queue.busy = undefined;
      expect((await attempt('alice', 'right')).ok).toBe(true);
      expect(await attempt('bob', 'whatever')).toEqual({ ok: false, reason: 'invalid-credentials' });
      expect(imitated).toEqual(['bob']);
    },
  );

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
