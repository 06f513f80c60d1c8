import { StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { describeError, withDeadline, type RedisClient } from './redis-client.js';

type Registration = { onMessage: (message: string) => void; onReset: () => void };
type Channel = { registrations: Set<Registration>; confirmed: Promise<void>; listener: (message: string) => void };

/**
 * Subscriptions on their own connection (a subscribed connection can run no other commands).
 * node-redis re-subscribes every channel when it reconnects; messages published while it
 * was away are lost, so every registration's onReset runs once it is back.
 */
export function createRedisSubscriptions(deps: { logger: Logger; client: RedisClient; timeoutMs: number; prefix: string }) {
  const { client, timeoutMs, prefix } = deps;
  const channels = new Map<string, Channel>();
  let everReady = false;

  function resetAll(): void {
    for (const channel of channels.values()) {
      for (const registration of [...channel.registrations]) {
        try {
          registration.onReset();
        } catch (error) {
          deps.logger.error({ err: describeError(error) }, 'subscription reset handler failed');
        }
      }
    }
  }

  // Re-subscription has completed when 'ready' fires again: only then can a cleared cache
  // not be refilled with something revoked during the gap. Caches are not cleared when the
  // connection drops: a session cached before the outage stays usable for its short TTL,
  // and nobody can revoke anything while Redis is unreachable.
  client.on('ready', () => {
    if (everReady) resetAll();
    everReady = true;
  });

  function dispatch(channel: Channel, message: string): void {
    for (const registration of [...channel.registrations]) {
      try {
        registration.onMessage(message);
      } catch (error) {
        deps.logger.error({ err: describeError(error) }, 'subscription message handler failed');
      }
    }
  }

  async function subscribe(channelName: string, onMessage: (message: string) => void, onReset: () => void): Promise<() => Promise<void>> {
    const name = prefix + channelName;
    let channel = channels.get(name);
    if (channel === undefined) {
      if (!client.isReady) throw new StoreUnavailableError('redis subscriber is not connected');
      const created: Channel = { registrations: new Set(), confirmed: Promise.resolve(), listener: (message) => dispatch(created, message) };
      const { listener } = created;
      created.confirmed = withDeadline(client.subscribe(name, listener), timeoutMs, 'subscribe').then(
        () => undefined,
        (error: unknown) => {
          if (channels.get(name) === created) channels.delete(name);
          client.unsubscribe(name, listener).catch(() => undefined);
          throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError('redis subscribe failed', { cause: error });
        },
      );
      channels.set(name, created);
      channel = created;
    }
    const registration: Registration = { onMessage, onReset };
    channel.registrations.add(registration);
    try {
      await channel.confirmed;
    } catch (error) {
      channel.registrations.delete(registration);
      throw error;
    }
    const subscribed = channel;
    return async () => {
      if (!subscribed.registrations.delete(registration) || subscribed.registrations.size > 0) return;
      if (channels.get(name) === subscribed) channels.delete(name);
      await withDeadline(client.unsubscribe(name, subscribed.listener), timeoutMs, 'unsubscribe').catch((error: unknown) => {
        // The server forgets the subscription with the connection; nothing to retry.
        deps.logger.debug({ err: describeError(error) }, 'redis unsubscribe did not complete');
      });
    };
  }

  return { subscribe, isReady: () => client.isReady };
}
