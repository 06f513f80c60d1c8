import type { Clock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { ExpiryIndexEntry, Kv, WindowLimit } from './kv.js';
import { ttlToMs } from './ttl.js';

/** A window's events: when, and under which member (the caller's, or one of ours). */
type WindowEvent = { at: number; member: string };
/** An expiry index: member → when it lapses (ms). */
type ExpiryIndex = Map<string, number>;
type Entry = { value: string | Set<string> | WindowEvent[] | ExpiryIndex; expiresAt: number };
type Subscriber = { onMessage: (message: string) => void };

/**
 * Kv in this process's memory, for the single-instance demo and unit tests. TTLs are read
 * from the clock, so a test moves time by hand; expired keys are invisible at once and
 * swept out in batches, so memory follows the live keys, not every key ever written.
 * Pub/sub delivers to this process's subscribers before `publish` resolves.
 */
export function createMemoryKv(deps: { clock: Clock }, options: { keyPrefix?: string } = {}): Kv & { countKeys(): number } {
  const prefix = options.keyPrefix ?? '';
  const entries = new Map<string, Entry>();
  const channels = new Map<string, Set<Subscriber>>();
  let writesSinceSweep = 0;
  let windowEvents = 0;
  let sweepAfter = 1000;
  let closed = false;

  const now = () => deps.clock.now();
  const expiry = (ttlSeconds: number) => now() + ttlToMs(ttlSeconds);

  function live(key: string): Entry | undefined {
    const entry = entries.get(prefix + key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(prefix + key);
      return undefined;
    }
    return entry;
  }

  /**
   * A full sweep once there have been as many writes as keys survived the last one:
   * amortized O(1) per write, and at most about twice the live keys are ever held.
   */
  function write(key: string, entry: Entry): void {
    entries.set(prefix + key, entry);
    if (++writesSinceSweep < sweepAfter) return;
    const at = now();
    for (const [k, e] of entries) if (e.expiresAt <= at) entries.delete(k);
    writesSinceSweep = 0;
    sweepAfter = Math.max(1000, entries.size);
  }

  function stringAt(key: string): string | null {
    const entry = live(key);
    if (entry === undefined) return null;
    if (typeof entry.value !== 'string') throw new StoreUnavailableError(`memory kv: ${key} holds a set, not a string`);
    return entry.value;
  }

  function setAt(key: string): Entry | undefined {
    const entry = live(key);
    if (entry !== undefined && typeof entry.value === 'string') throw new StoreUnavailableError(`memory kv: ${key} holds a string, not a set`);
    return entry;
  }

  function recentEvents(key: string, nowMs: number, windowMs: number): WindowEvent[] {
    const entry = live(key);
    if (entry === undefined) return [];
    if (!Array.isArray(entry.value)) throw new StoreUnavailableError(`memory kv: ${key} is not a window`);
    return entry.value.filter((event) => event.at > nowMs - windowMs);
  }

  function indexAt(key: string): ExpiryIndex | undefined {
    const entry = live(key);
    if (entry === undefined) return undefined;
    if (!(entry.value instanceof Map)) throw new StoreUnavailableError(`memory kv: ${key} is not an expiry index`);
    return entry.value;
  }

  /** As the Redis script: the member's expiry set, the index kept at least as long as `ttlSeconds`; `prune` forgets members lapsed by now. */
  function fileInIndex(index: ExpiryIndexEntry, ttlSeconds: number, prune: boolean): void {
    const entry = live(index.key);
    const members = indexAt(index.key) ?? new Map<string, number>();
    if (prune) for (const [member, lapsesAt] of members) if (lapsesAt <= index.expiresAtMs - ttlToMs(ttlSeconds)) members.delete(member);
    members.set(index.member, index.expiresAtMs);
    write(index.key, { value: members, expiresAt: Math.max(entry?.expiresAt ?? 0, expiry(ttlSeconds)) });
  }

  /** Every call is async like the real store, and refuses once closed. */
  const op =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      if (closed) throw new StoreUnavailableError('memory kv is closed');
      return fn(...args);
    };

  return {
    get: op((key: string) => stringAt(key)),
    set: op((key: string, value: string, ttlSeconds: number, index?: ExpiryIndexEntry) => {
      const expiresAt = expiry(ttlSeconds);
      if (index) fileInIndex(index, ttlSeconds, true);
      write(key, { value, expiresAt });
    }),
    setIfAbsent: op((key: string, value: string, ttlSeconds: number) => {
      if (live(key) !== undefined) return false;
      write(key, { value, expiresAt: expiry(ttlSeconds) });
      return true;
    }),
    setIfPresent: op((key: string, value: string, ttlSeconds: number, index?: ExpiryIndexEntry) => {
      if (live(key) === undefined) return false;
      const expiresAt = expiry(ttlSeconds);
      if (index) fileInIndex(index, ttlSeconds, false);
      write(key, { value, expiresAt });
      return true;
    }),
    indexRemove: op((key: string, member: string) => {
      const members = indexAt(key);
      if (members === undefined) return;
      members.delete(member);
      if (members.size === 0) entries.delete(prefix + key);
    }),
    indexCount: op((key: string, nowMs: number) => {
      const members = indexAt(key);
      if (members === undefined) return 0;
      for (const [member, lapsesAt] of members) if (lapsesAt <= nowMs) members.delete(member);
      return members.size;
    }),
    take: op((key: string) => {
      const value = stringAt(key);
      entries.delete(prefix + key);
      return value;
    }),
    del: op((...keys: string[]) => {
      for (const key of keys) entries.delete(prefix + key);
    }),
    increment: op((key: string, ttlSeconds: number) => {
      const current = stringAt(key);
      const next = current === null ? 1 : Number(current) + 1;
      if (!Number.isSafeInteger(next)) throw new StoreUnavailableError(`memory kv: ${key} is not a counter`);
      const expiresAt = current === null ? expiry(ttlSeconds) : live(key)!.expiresAt;
      write(key, { value: String(next), expiresAt });
      return next;
    }),
    setAdd: op((key: string, member: string, ttlSeconds: number) => {
      const entry = setAt(key);
      const members = (entry?.value as Set<string> | undefined) ?? new Set<string>();
      members.add(member);
      write(key, { value: members, expiresAt: Math.max(entry?.expiresAt ?? 0, expiry(ttlSeconds)) });
    }),
    setRemove: op((key: string, member: string) => {
      const entry = setAt(key);
      if (entry === undefined) return;
      const members = entry.value as Set<string>;
      members.delete(member);
      if (members.size === 0) entries.delete(prefix + key);
    }),
    windowAdd: op((key: string, nowMs: number, windowMs: number) => {
      const events = recentEvents(key, nowMs, windowMs);
      events.push({ at: nowMs, member: `event:${windowEvents++}` });
      write(key, { value: events, expiresAt: now() + Math.max(1, windowMs) });
      return events.length;
    }),
    windowReserve: op((windows: readonly WindowLimit[], member: string, nowMs: number, placeMs: number) => {
      const places = windows.map((w) => recentEvents(w.places, nowMs, placeMs));
      const full = windows.findIndex((w, i) => places[i]!.length + recentEvents(w.events, nowMs, w.eventsMs).length >= w.limit);
      if (full !== -1) return full;
      // As ZADD: a member already there keeps one place.
      windows.forEach((w, i) => write(w.places, { value: [...places[i]!.filter((e) => e.member !== member), { at: nowMs, member }], expiresAt: now() + Math.max(1, placeMs) }));
      return -1;
    }),
    windowRemove: op((key: string, member: string) => {
      const entry = live(key);
      if (entry === undefined || !Array.isArray(entry.value)) return;
      const events = entry.value.filter((event) => event.member !== member);
      if (events.length === 0) entries.delete(prefix + key);
      else entry.value = events;
    }),
    windowCount: op((key: string, nowMs: number, windowMs: number) => recentEvents(key, nowMs, windowMs).length),
    setMembers: op((key: string) => [...((setAt(key)?.value as Set<string> | undefined) ?? [])]),
    publish: op((channel: string, message: string) => {
      for (const subscriber of [...(channels.get(prefix + channel) ?? [])]) {
        try {
          subscriber.onMessage(message);
        } catch {
          // A failing subscriber must not keep the message from the others.
        }
      }
    }),
    subscribe: op((channel: string, onMessage: (message: string) => void) => {
      const subscriber: Subscriber = { onMessage };
      const set = channels.get(prefix + channel) ?? new Set<Subscriber>();
      set.add(subscriber);
      channels.set(prefix + channel, set);
      // Nothing is ever missed in one process, so onReset is never called.
      return async () => {
        set.delete(subscriber);
        if (set.size === 0 && channels.get(prefix + channel) === set) channels.delete(prefix + channel);
      };
    }),
    ping: op(() => undefined),
    /** Keys held, including expired ones not swept yet: what memory actually holds. */
    countKeys: () => entries.size,
    async close() {
      closed = true;
      entries.clear();
      channels.clear();
    },
  };
}
