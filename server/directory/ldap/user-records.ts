import type { Logger } from '../../core/logger.js';
import { randomToken } from '../../core/random.js';
import type { Kv } from '../../kv/kv.js';
import type { LdapUserRecord } from './ldap-user.js';

const CHANNEL = 'ldap-users';
const REGISTRY = 'ldap:users';
const recordKey = (username: string) => `ldap:user:${username}`;

export interface UserRecords {
  /**
   * This instance's copy, when it has one young enough to answer from without a store read;
   * null: known not to be there. undefined: only `load` can tell.
   */
  peek(username: string): LdapUserRecord | null | undefined;
  /** The shared record (Redis), kept here for the hot path. Throws StoreUnavailableError. */
  load(username: string): Promise<LdapUserRecord | null>;
  /** Writes the shared record, registers the user for refreshing, and tells every instance. */
  save(record: LdapUserRecord, options?: { announce?: boolean }): Promise<void>;
  /** Forgets the user everywhere (their sessions are the caller's business). */
  remove(username: string): Promise<void>;
  /** Everyone registered for refreshing. */
  names(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Where LDAP users live between sign-in and refresh: one record per user in the shared store,
 * so a user who signed in on instance A is known on B, and a short-lived copy per instance,
 * so the hot path reads no store for a user it saw within `mirrorTtlMs`. A change made by any
 * instance is announced over pub/sub and drops every copy at once; the copies' short life
 * bounds staleness if pub/sub is cut, and nothing is copied before the subscription is live.
 * Requests that find no copy at the same moment (a copy just expired, under load) share one
 * store read per user instead of one each.
 */
export function createUserRecords(
  deps: { kv: Kv; logger: Logger; now: () => number },
  options: { mirrorTtlMs: number; recordTtlSeconds: number; maxMirrored?: number },
): UserRecords {
  const { kv, now } = deps;
  const logger = deps.logger.child({ component: 'ldap-users' });
  const maxMirrored = options.maxMirrored ?? 10_000;
  const mirror = new Map<string, { record: LdapUserRecord | null; at: number }>();
  /** Store reads under way, with the epoch each started in: a change since then needs a read of its own. */
  const loading = new Map<string, { epoch: number; record: Promise<LdapUserRecord | null> }>();
  let epoch = 0;
  let live = false;
  let closed = false;
  let unsubscribe: (() => Promise<void>) | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  // Messages name their sender, so an instance does not drop the copy it has just written.
  const self = randomToken(9);

  const drop = (username: string) => {
    epoch++;
    mirror.delete(username);
  };
  const clear = () => {
    epoch++;
    mirror.clear();
  };

  function onMessage(message: string): void {
    const split = message.indexOf(':');
    if (split < 0) return clear();
    if (message.slice(0, split) !== self) drop(message.slice(split + 1));
  }

  async function subscribe(): Promise<void> {
    try {
      const stop = await kv.subscribe(CHANNEL, onMessage, clear);
      if (closed) return void (await stop().catch(() => undefined));
      unsubscribe = stop;
      clear();
      live = true;
    } catch (error) {
      if (closed) return;
      if (attempt++ === 0) logger.warn({ err: (error as Error).message }, 'cannot subscribe to LDAP user changes yet; every request reads the shared record until it works');
      retry = setTimeout(() => void subscribe(), Math.min(500 * 2 ** Math.min(attempt, 5), 10_000));
      retry.unref();
    }
  }
  void subscribe();

  function remember(username: string, record: LdapUserRecord | null, startedAt: number): void {
    if (!live || startedAt !== epoch) return;
    mirror.delete(username);
    mirror.set(username, { record, at: now() });
    while (mirror.size > maxMirrored) mirror.delete(mirror.keys().next().value!);
  }

  async function announce(username: string): Promise<void> {
    try {
      await kv.publish(CHANNEL, `${self}:${username}`);
    } catch (error) {
      // The shared record holds the truth; copies elsewhere expire within mirrorTtlMs.
      logger.warn({ err: (error as Error).message }, 'could not announce an LDAP user change');
    }
  }

  return {
    peek(username) {
      const held = mirror.get(username);
      if (!held) return undefined;
      const age = now() - held.at;
      if (age >= options.mirrorTtlMs || age < 0) {
        mirror.delete(username);
        return undefined;
      }
      return held.record;
    },
    load(username) {
      const startedAt = epoch;
      const under = loading.get(username);
      if (under && under.epoch === startedAt) return under.record;
      const read = (async () => {
        const text = await kv.get(recordKey(username));
        const record = text === null ? null : parseRecord(text, username);
        if (text !== null && record === null) logger.error({ username }, 'a stored LDAP user record is malformed; treating it as absent');
        remember(username, record, startedAt);
        return record;
      })();
      const entry = { epoch: startedAt, record: read };
      loading.set(username, entry);
      const done = () => {
        if (loading.get(username) === entry) loading.delete(username);
      };
      read.then(done, done);
      return read;
    },
    async save(record, saveOptions = {}) {
      const username = record.user.username;
      await kv.setAdd(REGISTRY, username, options.recordTtlSeconds);
      await kv.set(recordKey(username), JSON.stringify(record), options.recordTtlSeconds);
      drop(username);
      remember(username, record, epoch);
      if (saveOptions.announce !== false) await announce(username);
    },
    async remove(username) {
      await kv.del(recordKey(username));
      await kv.setRemove(REGISTRY, username);
      drop(username);
      await announce(username);
    },
    names: () => kv.setMembers(REGISTRY),
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      mirror.clear();
      await unsubscribe?.().catch(() => undefined);
    },
  };
}

function parseRecord(text: string, username: string): LdapUserRecord | null {
  try {
    const raw = JSON.parse(text) as LdapUserRecord;
    const user = raw?.user;
    if (typeof raw.dn !== 'string' || typeof raw.checkedAt !== 'number' || !user || user.username !== username) return null;
    if (typeof user.displayName !== 'string' || typeof user.email !== 'string' || !Array.isArray(user.groups) || !user.groups.every((g) => typeof g === 'string')) return null;
    const signedInAt = typeof raw.signedInAt === 'number' ? raw.signedInAt : raw.checkedAt;
    return { dn: raw.dn, user: { ...user, source: 'ldap' }, passwordMark: typeof raw.passwordMark === 'string' ? raw.passwordMark : null, checkedAt: raw.checkedAt, signedInAt };
  } catch {
    return null;
  }
}
