import { StoreUnavailableError } from '../core/errors.js';
import { auditDetailsProblem } from './audit-details.js';
import type { AuditEvent, AuditStore, NewAuditEvent } from './storage.js';

/** A user agent or reason is free text from the client: bounded so a header flood cannot grow the table. */
const MAX_TEXT = 512;

const bounded = (value: string | null | undefined): string | null => (value === undefined || value === null ? null : value.slice(0, MAX_TEXT));

/** Checks and bounds one event as it will be stored; throws RangeError for details outside the allow-list. */
export function prepareAuditEvent(event: NewAuditEvent): Omit<AuditEvent, 'id'> {
  const problem = auditDetailsProblem(event.details ?? {});
  if (problem) throw new RangeError(`audit: ${problem}`);
  if (!Number.isSafeInteger(event.at)) throw new RangeError('audit: at must be a time in milliseconds');
  return {
    at: event.at,
    kind: event.kind,
    actor: bounded(event.actor),
    subject: bounded(event.subject),
    clientIp: bounded(event.clientIp),
    userAgent: bounded(event.userAgent),
    site: bounded(event.site),
    result: event.result,
    reason: bounded(event.reason),
    details: { ...event.details },
  };
}

/** Stores prepared events in one transaction; answers their ids in order. */
export type WriteAuditBatch = (events: readonly Omit<AuditEvent, 'id'>[]) => Promise<number[]>;

export interface AuditBatchOptions {
  /** How long the first event of a batch waits for company. */
  delayMs: number;
  /** A batch this full is written at once. */
  maxBatch: number;
  /** Events waiting or being written; beyond it, append fails (StoreUnavailableError) instead of growing memory. */
  maxQueue: number;
}

export const AUDIT_BATCH_DEFAULTS: AuditBatchOptions = { delayMs: 5, maxBatch: 500, maxQueue: 10_000 };

/**
 * Audit appends gathered into one transaction every few milliseconds: a password-guessing storm
 * of a thousand failures costs a few commits (fsyncs), not a thousand. An append resolves only
 * once its batch is committed, so a caller never takes an event for stored when it is not.
 * Batches are written one after another, in order. `drain()` writes what is queued (a clean
 * stop loses nothing); a crash loses at most the events not yet committed: those of the last
 * `delayMs` plus the batch being written, never more than `maxQueue`.
 */
export function createBatchedAuditStore(
  inner: AuditStore,
  write: WriteAuditBatch,
  options: AuditBatchOptions = AUDIT_BATCH_DEFAULTS,
): AuditStore & { drain(): Promise<void>; idle(): boolean } {
  interface Pending {
    event: Omit<AuditEvent, 'id'>;
    resolve: (stored: AuditEvent) => void;
    reject: (error: unknown) => void;
  }
  const queue: Pending[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return writing;
    const batch = queue.splice(0, options.maxBatch);
    inFlight += batch.length;
    writing = writing.then(async () => {
      try {
        const ids = await write(batch.map((p) => p.event));
        batch.forEach((p, i) => p.resolve({ id: ids[i]!, ...p.event }));
      } catch (error) {
        for (const p of batch) p.reject(error);
      } finally {
        inFlight -= batch.length;
      }
    });
    if (queue.length > 0) return flush();
    return writing;
  };

  return {
    append(event) {
      let prepared: Omit<AuditEvent, 'id'>;
      try {
        prepared = prepareAuditEvent(event);
      } catch (error) {
        return Promise.reject(error);
      }
      if (queue.length + inFlight >= options.maxQueue) {
        return Promise.reject(new StoreUnavailableError(`audit: ${options.maxQueue} events are waiting for the database`));
      }
      return new Promise<AuditEvent>((resolve, reject) => {
        queue.push({ event: prepared, resolve, reject });
        if (queue.length >= options.maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), options.delayMs);
      });
    },
    query: (query) => inner.query(query),
    after: (id, limit) => inner.after(id, limit),
    latestId: () => inner.latestId(),
    countByInterval: (query) => inner.countByInterval(query),
    drain: () => flush(),
    idle: () => queue.length === 0 && inFlight === 0,
  };
}
