import { availableParallelism } from 'node:os';
import ipaddr from 'ipaddr.js';

/**
 * Password checks (argon2id, ~100–200 ms of CPU each) wait here for a core.
 *
 * - **Bounded concurrency.** argon2 runs on libuv's threads, off the event loop, but on the
 *   same cores: a burst hashing all at once would take every core from the proxy path. At
 *   most `concurrency` checks run at once (default: all cores but one).
 * - **Fair between client addresses.** Each client address has its own lane (an IPv6 /64
 *   counts as one address: one subscriber usually holds a whole /64). When a check ends, the
 *   lanes with checks waiting take turns, one check each (round robin), so a newcomer waits
 *   for the checks already running and at most one check per other busy address — not for
 *   every check queued before it. Fifty parallel guesses from one address queue behind each
 *   other, and someone else's sign-in goes ahead of all but one of them.
 * - **Bounded waiting.** A lane holds at most `perLane` checks, running or waiting; one more
 *   is refused at once (`lane-full`: the caller answers 429, "busy, try again in a moment")
 *   rather than queued for ever. All lanes together hold at most `maxWaiting` waiting checks
 *   (`queue-full`: 503), which bounds memory when many addresses arrive at once. A check that
 *   has waited `maxWaitMs` without starting gives up (`waited-too-long`: 503), so an
 *   overloaded gateway answers "busy" in seconds instead of letting the browser or a proxy in
 *   front time out.
 * - **Blind to accounts.** The lane is the caller's address, never the account, and every
 *   check costs one turn: unknown users, wrong passwords and locked accounts (whose password is
 *   still hashed, so the answer takes as long) wait alike, so where a check waits and whether
 *   it is refused say nothing about the account it names.
 *
 * Regulation comes before the queue (sign-in/sign-in-with-password.ts): attempts in flight
 * count against the address's and the account's limits, so most of a burst is refused before
 * it costs a hash at all; the lanes keep what is left from delaying everyone else.
 */
export interface HashQueue {
  /** Runs `work` in `lane`'s turn, or refuses at once when the lane or the queue is full. */
  run<T>(lane: string, work: () => Promise<T>): Promise<Queued<T>>;
  readonly running: number;
  readonly waiting: number;
}

export type QueueRefusal = 'lane-full' | 'queue-full' | 'waited-too-long';
export type Queued<T> = { ok: true; value: T } | { ok: false; reason: QueueRefusal };

export interface HashQueueOptions {
  /** Checks running at once; default all cores but one (at least one). */
  concurrency?: number;
  /**
   * Where each lane's checks (running or waiting) are counted against `perLane`: shared by
   * queues whose checks must look alike from outside (the users file's and LDAP's), so that
   * whether an address is "busy" never depends on which queue a name's check goes to.
   */
  laneCounts?: LaneCounts;
  /** Checks one lane may hold, running or waiting. */
  perLane?: number;
  /** Checks waiting in all lanes together. */
  maxWaiting?: number;
  /** How long a check may wait for its turn before it is refused; 0: no limit. */
  maxWaitMs?: number;
}

export const DEFAULT_PER_LANE = 10;
export const DEFAULT_MAX_WAITING = 200;
export const DEFAULT_MAX_WAIT_MS = 10_000;

interface Lane {
  /** Its checks waiting for a turn, oldest first: each resolves to start its check. */
  waiting: (() => void)[];
  /** Its checks running or waiting. */
  size: number;
}

/** Checks running or waiting per lane, in one queue or several. */
export type LaneCounts = Map<string, number>;

export function createLaneCounts(): LaneCounts {
  return new Map();
}

/** Checks running at once for `authentication.password_checks.concurrency` (0: all cores but one, at least one). */
export function hashConcurrencyOf(configured: number | undefined): number {
  return Math.max(1, configured || availableParallelism() - 1);
}

export function createHashQueue(options: HashQueueOptions = {}): HashQueue {
  const concurrency = hashConcurrencyOf(options.concurrency);
  const perLane = Math.max(1, options.perLane ?? DEFAULT_PER_LANE);
  const maxWaiting = Math.max(0, options.maxWaiting ?? DEFAULT_MAX_WAITING);
  // A missing or malformed limit is the default, never "no limit" by accident.
  const maxWaitMs = Number.isFinite(options.maxWaitMs) ? Math.max(0, options.maxWaitMs!) : DEFAULT_MAX_WAIT_MS;
  const counts = options.laneCounts ?? createLaneCounts();
  const lanes = new Map<string, Lane>();
  /** Lanes with a check waiting, in the order of their next turn. */
  const turns: string[] = [];
  let running = 0;
  let waiting = 0;

  /** Starts waiting checks while slots are free: one per lane per turn. */
  function startNext(): void {
    while (running < concurrency && turns.length > 0) {
      const key = turns.shift()!;
      const lane = lanes.get(key)!;
      const start = lane.waiting.shift()!;
      waiting--;
      if (lane.waiting.length > 0) turns.push(key);
      running++;
      start();
    }
  }

  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<Queued<T>> {
      const lane = lanes.get(key) ?? { waiting: [], size: 0 };
      const count = counts.get(key) ?? 0;
      if (count >= perLane) return { ok: false, reason: 'lane-full' };
      // A free slot implies nothing waits (startNext fills free slots at once).
      const mustWait = running >= concurrency;
      if (mustWait && waiting >= maxWaiting) return { ok: false, reason: 'queue-full' };
      lane.size++;
      lanes.set(key, lane);
      counts.set(key, count + 1);
      let started = false;
      try {
        if (mustWait) {
          started = await new Promise<boolean>((resolve) => {
            const timer =
              maxWaitMs > 0
                ? setTimeout(() => {
                    // Still waiting (a started check has cleared the timer): leave the lane and the turns.
                    lane.waiting.splice(lane.waiting.indexOf(start), 1);
                    waiting--;
                    if (lane.waiting.length === 0) turns.splice(turns.indexOf(key), 1);
                    resolve(false);
                  }, maxWaitMs)
                : undefined;
            timer?.unref?.();
            const start = () => {
              clearTimeout(timer);
              resolve(true);
            };
            lane.waiting.push(start);
            waiting++;
            if (lane.waiting.length === 1) turns.push(key);
          });
          if (!started) return { ok: false, reason: 'waited-too-long' };
        } else {
          running++;
          started = true;
        }
        return { ok: true, value: await work() };
      } finally {
        if (started) running--;
        if (--lane.size === 0) lanes.delete(key);
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
        startNext();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting;
    },
  };
}

/**
 * The lane of a client address: the address itself, or for IPv6 its /64 (one subscriber's
 * usual allocation: an attacker with a /64 must not get 2^64 lanes). Addresses arrive
 * normalized (proxy/client-address.ts: IPv4-mapped IPv6 is IPv4 already); anything that does
 * not parse is its own lane.
 */
export function hashLaneOf(clientIp: string): string {
  if (!clientIp.includes(':') || !ipaddr.IPv6.isValid(clientIp)) return clientIp;
  const parts = ipaddr.IPv6.parse(clientIp).parts;
  return `${parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`;
}
