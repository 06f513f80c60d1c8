import type { Logger } from '../core/logger.js';
import type { AuditJson } from './audit-event.js';

export interface AuditWebhookOptions {
  url: URL;
  kinds: readonly string[];
  /** Seconds per attempt. */
  timeout: number;
  retries: number;
  /** First pause between attempts, doubled each time (tests shorten it). */
  backoffMs?: number;
  /** Deliveries waiting at once; beyond it new alerts are dropped (and logged) rather than piling up. */
  maxPending?: number;
}

export interface AuditWebhook {
  wants(kind: string): boolean;
  /** Starts a delivery in the background; never throws, never waits. */
  send(event: AuditJson): void;
  /** Resolves when every delivery started so far has finished or given up. */
  flush(): Promise<void>;
  /** Stops retrying and aborts deliveries in flight. */
  close(): void;
}

/**
 * Alerts for chosen kinds. Delivery runs beside the request that caused it: a webhook that is
 * down or slow costs the sign-in nothing. The URL is never logged (it may embed a secret path).
 */
export function createAuditWebhook(deps: { logger: Logger }, options: AuditWebhookOptions): AuditWebhook {
  const kinds = new Set(options.kinds);
  const pending = new Set<Promise<void>>();
  const backoffMs = options.backoffMs ?? 1000;
  const maxPending = options.maxPending ?? 1000;
  const target = options.url.host;
  let closed = false;
  const stop = new AbortController();

  async function deliver(event: AuditJson): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; attempt <= options.retries && !closed; attempt++) {
      if (attempt > 0) await pause(backoffMs * 2 ** (attempt - 1));
      if (closed) break;
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'gatehouse-audit' },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(options.timeout * 1000), stop.signal]),
          redirect: 'error',
        });
        await response.body?.cancel();
        if (response.ok) return;
        deps.logger.warn({ target, status: response.status, kind: event.kind, attempt: attempt + 1 }, 'audit webhook refused the event');
      } catch (error) {
        deps.logger.warn({ target, err: (error as Error).message, kind: event.kind, attempt: attempt + 1 }, 'audit webhook unreachable');
      }
    }
    deps.logger.error({ target, kind: event.kind, id: event.id }, closed ? 'audit webhook: stopped before delivering an event' : 'audit webhook: gave up delivering an event');
  }

  return {
    wants: (kind) => kinds.has(kind),
    send(event) {
      if (closed) return;
      if (pending.size >= maxPending) {
        deps.logger.error({ target, kind: event.kind, id: event.id }, 'audit webhook: too many deliveries waiting; event not sent');
        return;
      }
      const delivery = deliver(event).catch(() => undefined);
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close() {
      closed = true;
      stop.abort();
    },
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
