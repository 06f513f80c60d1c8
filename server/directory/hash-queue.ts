import { availableParallelism } from 'node:os';
import { StoreUnavailableError } from '../core/errors.js';

export interface HashQueue {
  /** Runs `work` when a slot is free; refuses at once when too many are already waiting. */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly waiting: number;
}

/**
 * argon2 runs on libuv's threads, off the event loop — but on the same cores. A burst of
 * sign-ins hashing all at once takes every core from the proxy path; queued, they take at most
 * `concurrency` of them (default: all cores but one). Sign-ins wait instead of every user waiting.
 */
export function createHashQueue(options: { concurrency?: number; maxWaiting?: number } = {}): HashQueue {
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism() - 1);
  const maxWaiting = options.maxWaiting ?? 200;
  const waiting: (() => void)[] = [];
  let running = 0;

  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) next();
  };

  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running >= concurrency) {
        if (waiting.length >= maxWaiting) throw new StoreUnavailableError('password checks are queued too deep');
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      running++;
      try {
        return await work();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
