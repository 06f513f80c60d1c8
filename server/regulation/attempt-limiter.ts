import type { Kv } from '../kv/kv.js';

export interface AttemptLimiter {
  /** True while the subject is over its failure budget; checked before any verification. */
  isBlocked(subject: string): Promise<boolean>;
  /** Counts one failure; atomic, so parallel failures are all counted. */
  recordFailure(subject: string): Promise<number>;
}

/**
 * A fixed-window failure budget per subject (e.g. a user's second-factor attempts): at most
 * `maxFailures` in `windowSeconds`. Asking for a new challenge never resets it, and success does
 * not either, so a stream of guesses cannot be laundered. The full regulation (per factor kind,
 * per address, lockout, admin unlock) builds on this.
 */
export function createAttemptLimiter(kv: Kv, options: { name: string; maxFailures: number; windowSeconds: number }): AttemptLimiter {
  const key = (subject: string) => `attempts:${options.name}:${subject}`;
  return {
    async isBlocked(subject) {
      const count = Number((await kv.get(key(subject))) ?? 0);
      return count >= options.maxFailures;
    },
    recordFailure: (subject) => kv.increment(key(subject), options.windowSeconds),
  };
}
