import type { Session } from './session.js';

type Entry = { session: Session; fetchedAt: number };

/**
 * Sessions this instance read recently, keyed by token hash: a bounded LRU whose entries
 * are good for `ttlMs` from when they were read from the store. Revocations reach it by
 * `drop`; a read that raced a revocation is kept out by the epoch (see `epoch`).
 */
export function createSessionCache(options: { ttlMs: number; maxEntries: number }) {
  const entries = new Map<string, Entry>();
  let epoch = 0;

  return {
    /** The cached session if read less than ttlMs ago; refreshes its place in the LRU. */
    get(hash: string, now: number): Session | undefined {
      const entry = entries.get(hash);
      if (entry === undefined) return undefined;
      entries.delete(hash);
      if (now - entry.fetchedAt >= options.ttlMs || now < entry.fetchedAt) return undefined;
      entries.set(hash, entry);
      return entry.session;
    },
    /**
     * Any revocation or reset moves the epoch. A read that started before it may carry a
     * session revoked meanwhile, so it is served once but not cached.
     */
    epoch: () => epoch,
    put(hash: string, session: Session, fetchedAt: number, startedAtEpoch: number): void {
      if (options.ttlMs <= 0 || options.maxEntries <= 0 || startedAtEpoch !== epoch) return;
      entries.delete(hash);
      entries.set(hash, { session, fetchedAt });
      while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
    },
    /** Keeps the entry's read time: an update from this instance does not make it fresher. */
    update(hash: string, session: Session): void {
      const entry = entries.get(hash);
      if (entry) entry.session = session;
    },
    drop(hash: string): void {
      epoch++;
      entries.delete(hash);
    },
    dropUser(username: string): void {
      epoch++;
      for (const [hash, entry] of entries) if (entry.session.user.username === username) entries.delete(hash);
    },
    clear(): void {
      epoch++;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
