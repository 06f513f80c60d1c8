/**
 * Short-lived shared state behind one narrow interface: Redis for real use, memory for the
 * single-instance demo and unit tests. Keys are given without the configured prefix; each
 * implementation adds it. Every call either answers within the configured timeout or
 * rejects with StoreUnavailableError: callers fail closed, never open. A call that timed out
 * may still take effect later (it may already sit in the server's socket buffer): treat a
 * timed-out write or take as "maybe done", never as "not done".
 */
export interface Kv {
  get(key: string): Promise<string | null>;
  /**
   * Sets with a time to live in seconds (> 0). With `index`, the same call also files the key
   * in an expiry index (see ExpiryIndexEntry) and forgets members lapsed by then.
   */
  set(key: string, value: string, ttlSeconds: number, index?: ExpiryIndexEntry): Promise<void>;
  /**
   * Sets only if absent; true when this call created it. The atomic claim for single-use things:
   * pass `replicated` for a claim whose loss would let a secret be used again (see Replicated).
   */
  setIfAbsent(key: string, value: string, ttlSeconds: number, options?: Replicated): Promise<boolean>;
  /**
   * Replaces only if present; true when it did. An in-place update (a session's activity
   * mark) that must never bring back a key another instance deleted meanwhile. With `index`,
   * the member's expiry moves in the same call, and only when the key was replaced.
   */
  setIfPresent(key: string, value: string, ttlSeconds: number, index?: ExpiryIndexEntry): Promise<boolean>;
  /** Takes `member` out of an expiry index. */
  indexRemove(key: string, member: string): Promise<void>;
  /** How many members of an expiry index lapse after `nowMs`; the lapsed ones are forgotten. Atomic. */
  indexCount(key: string, nowMs: number): Promise<number>;
  /** Atomically reads and deletes (GETDEL): a single-use challenge is a take (see Replicated). */
  take(key: string, options?: Replicated): Promise<string | null>;
  del(...keys: string[]): Promise<void>;
  /** Increments and returns the new value; the TTL is set when the key is created. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /**
   * Adds a member; the set then lives at least `ttlSeconds` more. The TTL is extended, never
   * shortened: an index of sessions must outlive the longest-lived of them.
   */
  setAdd(key: string, member: string, ttlSeconds: number): Promise<void>;
  setRemove(key: string, member: string): Promise<void>;
  /**
   * Sliding window of events (failure counters): records one event at `nowMs`, forgets those
   * `windowMs` or more old, and returns how many are left, this one included. Atomic: 50
   * parallel calls return 1..50. `del` removes a window like any key.
   */
  windowAdd(key: string, nowMs: number, windowMs: number): Promise<number>;
  /**
   * Takes a place for `member` (unique to the caller) in every window's `places` at once, or
   * in none: attempts in flight. A window is full when its places (younger than `placeMs`)
   * plus its events (younger than `eventsMs`, kept by windowAdd in `events`) leave no room
   * under `limit`. Returns the index of the first full window, nothing taken; or -1, every
   * place taken. Atomic: of 50 parallel calls against a limit of 5, exactly 5 get places.
   * Places older than `placeMs` lapse by themselves; `windowRemove` gives one back.
   */
  windowReserve(windows: readonly WindowLimit[], member: string, nowMs: number, placeMs: number): Promise<number>;
  /** Forgets `member`'s place in a window, if it is still there. */
  windowRemove(key: string, member: string): Promise<void>;
  /** How many events of the window are younger than `windowMs` at `nowMs`. */
  windowCount(key: string, nowMs: number, windowMs: number): Promise<number>;
  setMembers(key: string): Promise<string[]>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `onMessage` for each message on the channel, and `onReset` whenever messages may
   * have been missed (the subscription dropped and came back): caches must then be cleared.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onReset: () => void): Promise<() => Promise<void>>;
  /** Resolves when the store answers; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A member of an expiry index: a sorted set of members (session hashes) scored by the time in
 * ms at which each lapses, shared by every instance. It counts live things the store otherwise
 * keeps no list of. Its own TTL is extended to its longest-lived member, never shortened.
 */
export interface ExpiryIndexEntry {
  key: string;
  member: string;
  /** When the member lapses: the indexed key's own expiry. */
  expiresAtMs: number;
}

/** One count that windowReserve keeps under its limit. */
export interface WindowLimit {
  /** Key of the places taken (attempts in flight). */
  places: string;
  /** Key of a windowAdd window (failures) that counts too. */
  events: string;
  eventsMs: number;
  limit: number;
}

/**
 * Asks that a claim or take be confirmed by replicas before it counts. Redis replicates
 * asynchronously: a claim the master answered but no replica got is lost when the master dies,
 * and after the failover the same code, challenge or approval could be used a second time. With
 * `redis.sentinel.min_replicas_acknowledged` set, a `replicated` call is followed by WAIT: when
 * fewer replicas confirm in time it rejects with ReplicationUnconfirmedError (a
 * StoreUnavailableError: the step fails closed), although the master did the write. A refusal
 * (the key already there, nothing to take) needs no confirmation and is answered as is. Without
 * the setting (one node, the memory Kv) it changes nothing.
 */
export interface Replicated {
  replicated: true;
}
