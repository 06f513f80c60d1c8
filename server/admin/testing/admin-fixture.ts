import { createAuditLog } from '../../audit/create-audit-log.js';
import { createFixedClock } from '../../core/clock.js';
import { createSilentLogger } from '../../core/logger.js';
import type { DirectoryEntry } from '../../directory/directory.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import type { LockState, Regulator } from '../../regulation/regulator.js';
import { createSessionStore } from '../../session/session-store.js';
import type { SessionUser } from '../../session/session.js';
import type { AuditEvent } from '../../storage/storage.js';
import { openTestStorage } from '../../storage/testing/test-storage.js';
import type { Actor, AdminDeps } from '../admin-deps.js';

export const NOW = Date.UTC(2026, 2, 1, 9);

export const ENTRIES: DirectoryEntry[] = [
  { username: 'alice', displayName: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'], disabled: false },
  { username: 'bob', displayName: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'], disabled: false },
  { username: 'carol', displayName: 'Carol', email: 'carol@corp.example', groups: ['dev'], disabled: true },
];

export const ADMIN: Actor = { name: 'alice', clientIp: '192.0.2.10', userAgent: 'test-agent', requestId: 'req-1' };

/** A regulator that only knows locks set by the test; unlock reports whether there was one. */
export function createFakeRegulator(): Pick<Regulator, 'lockState' | 'unlock'> & {
  lock(username: string, until: number | null): void;
  unlocks: Array<{ username: string; actor: string }>;
} {
  const locks = new Map<string, number | null>();
  const unlocks: Array<{ username: string; actor: string }> = [];
  return {
    unlocks,
    lock: (username, until) => void locks.set(username, until),
    async lockState(username): Promise<LockState> {
      const locked = locks.has(username);
      return { locked, until: locked ? (locks.get(username) ?? null) : null, reason: locked ? 'failures' : null, recentFailures: locked ? 20 : 0 };
    },
    async unlock(username, input) {
      unlocks.push({ username, actor: input.actor });
      return locks.delete(username);
    },
  };
}

/** Real SQLite (in memory), real session store on the memory Kv, a fake regulator, a pinned clock. */
export function createAdminFixture() {
  const clock = createFixedClock(NOW);
  const logger = createSilentLogger();
  const storage = openTestStorage();
  const kv = createMemoryKv({ clock });
  const sessions = createSessionStore({ kv, clock, logger }, { idleTimeout: 3600, absoluteTimeout: 43_200, rememberMe: 7 * 86_400, cacheTtl: 10 });
  const regulator = createFakeRegulator();
  const entries = ENTRIES.map((e) => ({ ...e, groups: [...e.groups] }));
  const directory: AdminDeps['directory'] = {
    findUser: (name) => {
      const e = entries.find((u) => u.username === name.toLowerCase() && !u.disabled);
      return e && { username: e.username, displayName: e.displayName, email: e.email, groups: [...e.groups] };
    },
    listUsers: () => entries.map((e) => ({ ...e, groups: [...e.groups] })),
  };
  const audit = createAuditLog({ storage, logger, clock });
  const deps: AdminDeps = { storage, sessions, regulator, directory, audit, clock };

  const userOf = (username: string): SessionUser => {
    const e = entries.find((u) => u.username === username)!;
    return { username: e.username, displayName: e.displayName, email: e.email, groups: [...e.groups] };
  };

  return {
    deps,
    clock,
    storage,
    sessions,
    regulator,
    signIn: (username: string, rememberMe = false) => sessions.create({ user: userOf(username), factor: { kind: 'password', at: clock.now() }, rememberMe }),
    /** Admin events newest first (sign-in events the test made itself are left out). */
    adminEvents: async (): Promise<AuditEvent[]> => (await storage.auditEvents.query({ limit: 100 })).filter((e) => e.kind.startsWith('admin.')),
    async close() {
      await sessions.close();
      storage.close();
    },
  };
}

export type AdminFixture = ReturnType<typeof createAdminFixture>;
