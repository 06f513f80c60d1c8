import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AuditConfig } from '../config/schema.js';
import { pickAuditDetails } from '../storage/audit-details.js';
import type { AuditEvent, Storage } from '../storage/storage.js';
import { isAuditKind, resultOf, toAuditJson, type AuditInput } from './audit-event.js';
import { createAuditWebhook, type AuditWebhook } from './audit-webhook.js';

export interface AuditLog {
  /** Stores the event and logs it; resolves once stored (or the failure logged). Never rejects. */
  record(input: AuditInput): Promise<void>;
  /** Waits for webhook deliveries in flight (tests, shutdown). */
  flush(): Promise<void>;
  close(): void;
}

export interface AuditLogOptions {
  config?: AuditConfig;
  /** Webhook retry pause override, for tests. */
  webhookBackoffMs?: number;
  /**
   * Called with each event once it is recorded (security notifications). Must return at once and
   * never throw: it runs inside the use-case that recorded the event.
   */
  onRecorded?: (input: AuditInput) => void;
}

/**
 * The audit trail: durable rows in storage, the same JSON log line as before (log pipelines
 * keep working), and an optional alert webhook. Recording never fails a sign-in: a storage
 * outage is logged as an error and the request goes on.
 */
export function createAuditLog(deps: { storage: Pick<Storage, 'auditEvents'>; logger: Logger; clock: Clock }, options: AuditLogOptions = {}): AuditLog {
  const { logger } = deps;
  const hook = options.config?.webhook;
  let webhook: AuditWebhook | undefined;
  if (hook) {
    webhook = createAuditWebhook({ logger }, { ...hook, backoffMs: options.webhookBackoffMs });
    const unknown = hook.kinds.filter((k) => !isAuditKind(k));
    if (unknown.length > 0) logger.warn({ kinds: unknown }, 'audit.webhook.kinds names kinds that are never recorded');
  }

  return {
    async record(input) {
      const picked = pickAuditDetails({ requestId: input.requestId, ...input.details });
      if (picked.dropped.length > 0) logger.warn({ event: input.kind, dropped: picked.dropped }, 'audit: fields outside the allow-list were not recorded');
      const event: Omit<AuditEvent, 'id'> = {
        at: deps.clock.now(),
        kind: input.kind,
        result: input.result ?? resultOf(input.kind),
        actor: input.actor ?? input.subject ?? null,
        subject: input.subject ?? null,
        clientIp: input.clientIp ?? null,
        userAgent: input.userAgent ?? null,
        site: input.site ?? null,
        reason: input.reason ?? null,
        details: picked.details,
      };
      const line = {
        event: input.kind,
        username: input.subject,
        ...(input.actor !== undefined && input.actor !== input.subject ? { actor: input.actor } : {}),
        ip: input.clientIp,
        userAgent: input.userAgent,
        site: input.site,
        reason: input.reason,
        ...picked.details,
      };
      logger[input.level ?? 'info'](line, input.message ?? input.kind.replace(/[._]/g, ' '));
      let id: number | undefined;
      try {
        id = (await deps.storage.auditEvents.append(event)).id;
      } catch (error) {
        logger.error({ err: (error as Error)?.message, event: input.kind, username: input.subject }, 'audit: could not store the event');
      }
      if (webhook?.wants(input.kind)) webhook.send(toAuditJson({ ...event, id }));
      if (options.onRecorded) {
        try {
          options.onRecorded(input);
        } catch (error) {
          logger.error({ err: (error as Error)?.message, event: input.kind }, 'audit: a listener failed');
        }
      }
    },
    flush: async () => webhook?.flush(),
    close: () => webhook?.close(),
  };
}
