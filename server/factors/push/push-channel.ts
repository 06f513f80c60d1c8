import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import type { Approval } from './push-approvals.js';

export type ChannelEvent = { event: 'approval'; data: Approval } | { event: 'closed'; data: { approvalId: string } };

const CHANNEL = 'push:events';

/**
 * The live channel to open companions. Every event goes through the store's pub/sub, so a
 * sign-in on one gateway instance reaches a phone connected to another. One subscription per
 * instance, taken when the first phone connects; events are then handed out by device id.
 */
export function createPushChannel(deps: { kv: Kv; logger: Logger }) {
  const listeners = new Map<string, Set<(event: ChannelEvent) => void>>();
  let subscription: Promise<() => Promise<void>> | undefined;

  function dispatch(message: string): void {
    let parsed: { deviceId: string } & ChannelEvent;
    try {
      parsed = JSON.parse(message) as { deviceId: string } & ChannelEvent;
    } catch {
      return;
    }
    for (const listener of [...(listeners.get(parsed.deviceId) ?? [])]) listener({ event: parsed.event, data: parsed.data } as ChannelEvent);
  }

  function subscribed(): Promise<() => Promise<void>> {
    subscription ??= deps.kv
      .subscribe(CHANNEL, dispatch, () => undefined)
      .catch((error: unknown) => {
        subscription = undefined;
        throw error;
      });
    return subscription;
  }

  return {
    publish: (deviceId: string, event: ChannelEvent) => deps.kv.publish(CHANNEL, JSON.stringify({ deviceId, ...event })),

    /** Resolves once the subscription is confirmed: events published afterwards reach `listener`. */
    async listen(deviceId: string, listener: (event: ChannelEvent) => void): Promise<() => void> {
      await subscribed();
      let set = listeners.get(deviceId);
      if (!set) listeners.set(deviceId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(deviceId) === set) listeners.delete(deviceId);
      };
    },

    async close(): Promise<void> {
      listeners.clear();
      const pending = subscription;
      subscription = undefined;
      if (pending)
        await (await pending.catch(() => async () => undefined))().catch((error: unknown) =>
          deps.logger.warn({ err: (error as Error).message }, 'push channel unsubscribe failed'),
        );
    },
  };
}

export type PushChannel = ReturnType<typeof createPushChannel>;
