/**
 * Short-lived shared state behind one narrow interface: Redis for real use, memory for the
 * single-instance demo and unit tests. Keys are given without the configured prefix; each
 * implementation adds it. Every call either answers within the configured timeout or
 * rejects with StoreUnavailableError: callers fail closed, never open.
 */
export interface Kv {
  get(key: string): Promise<string | null>;
  /** Sets with a time to live in seconds (> 0). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets only if absent; true when this call created it. The atomic claim for single-use things. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Atomically reads and deletes (GETDEL): a single-use challenge is a take. */
  take(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<void>;
  /** Increments and returns the new value; the TTL is set when the key is created. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  setAdd(key: string, member: string, ttlSeconds: number): Promise<void>;
  setRemove(key: string, member: string): Promise<void>;
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
