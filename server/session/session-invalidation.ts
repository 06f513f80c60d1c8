import type { Logger } from '../core/logger.js';
import type { Kv } from '../kv/kv.js';
import type { SessionCache } from './session-cache.js';

const CHANNEL = 'session-invalidation';

/** Messages name a token hash (`s:`) or a user (`u:`), never a token. */
export function invalidateSessionMessage(hash: string): string {
  return `s:${hash}`;
}

export function invalidateUserMessage(username: string): string {
  return `u:${username}`;
}

/**
 * Keeps this instance's cache in step with revocations made by any instance. Until the
 * subscription is live nothing may be cached (`isLive`): a session revoked elsewhere would
 * otherwise stay usable here for a whole cache TTL. A failed subscription is retried with
 * backoff, so a store that started while Redis was down catches up by itself.
 */
export function createSessionInvalidation(deps: { kv: Kv; logger: Logger; cache: SessionCache }) {
  const { kv, logger, cache } = deps;
  let unsubscribe: (() => Promise<void>) | undefined;
  let closed = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  let resolveLive!: () => void;
  const live = new Promise<void>((resolve) => (resolveLive = resolve));

  function onMessage(message: string): void {
    if (message.startsWith('s:')) cache.drop(message.slice(2));
    else if (message.startsWith('u:')) cache.dropUser(message.slice(2));
    else logger.debug('ignored an unknown session invalidation message');
  }

  async function subscribe(): Promise<void> {
    try {
      const stop = await kv.subscribe(CHANNEL, onMessage, () => cache.clear());
      if (closed) return void (await stop().catch(() => undefined));
      unsubscribe = stop;
      cache.clear();
      resolveLive();
      if (attempt > 0) logger.info('session invalidation subscription established');
    } catch (error) {
      if (closed) return;
      const delay = Math.min(500 * 2 ** Math.min(attempt, 5), 10_000);
      attempt++;
      if (attempt === 1) logger.warn({ err: (error as Error).message }, 'cannot subscribe to session invalidation yet; sessions are not cached until it works');
      retry = setTimeout(() => void subscribe(), delay);
      retry.unref();
    }
  }

  void subscribe();

  return {
    isLive: () => unsubscribe !== undefined && !closed,
    /** Resolves once revocations from other instances reach this one. */
    whenLive: () => live,
    async publish(message: string): Promise<void> {
      try {
        await kv.publish(CHANNEL, message);
      } catch (error) {
        // The store already holds the truth; other instances catch up within their cache TTL.
        logger.warn({ err: (error as Error).message }, 'could not publish a session revocation');
      }
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(retry);
      const stop = unsubscribe;
      unsubscribe = undefined;
      await stop?.().catch(() => undefined);
    },
  };
}
