import { toAuditJson } from '../audit/audit-event.js';
import type { AuditEvent, AuditQuery, AuditResult } from '../storage/storage.js';
import type { AdminDeps } from './admin-deps.js';

/** What the audit log may be narrowed to; all given ones must hold. Exact values: a filter is never a pattern. */
export interface AuditFilter {
  /** The account concerned (the event's subject). */
  user?: string;
  kind?: string;
  result?: AuditResult;
  clientIp?: string;
  site?: string;
  /** Inclusive, ms. */
  since?: number;
  /** Exclusive, ms. */
  until?: number;
}

export interface AuditCursor {
  at: number;
  id: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Where the next (older) page starts, or null on the last page. */
  next: AuditCursor | null;
}

/** Rows per storage query while exporting: large enough to be quick, small enough to stream. */
const EXPORT_BATCH = 1000;

function toQuery(filter: AuditFilter): Omit<AuditQuery, 'limit'> {
  return {
    subject: filter.user,
    kind: filter.kind,
    result: filter.result,
    clientIp: filter.clientIp,
    site: filter.site,
    since: filter.since,
    until: filter.until,
  };
}

/**
 * One page of the filtered audit log, newest first, from `cursor` (keyset paging: page 1,000
 * costs what page 1 does, and events arriving meanwhile do not shift the pages).
 */
export async function auditLogPage(deps: Pick<AdminDeps, 'storage'>, filter: AuditFilter, options: { cursor?: AuditCursor; limit: number }): Promise<AuditPage> {
  const rows = await deps.storage.auditEvents.query({ ...toQuery(filter), cursor: options.cursor, limit: options.limit + 1 });
  const events = rows.slice(0, options.limit);
  const last = events.at(-1);
  return { events, next: rows.length > options.limit && last ? { at: last.at, id: last.id } : null };
}

/** Events matching the filter with an id above `afterId`, oldest first: what a live view appends. */
export async function auditEventsAfter(deps: Pick<AdminDeps, 'storage'>, filter: AuditFilter, afterId: number, limit: number): Promise<AuditEvent[]> {
  return deps.storage.auditEvents.query({ ...toQuery(filter), afterId, order: 'oldest', limit });
}

/** The newest event id, or 0: where a live view starts following. */
export async function latestAuditId(deps: Pick<AdminDeps, 'storage'>): Promise<number> {
  return deps.storage.auditEvents.latestId();
}

/**
 * Every event matching the filter, oldest first, a batch at a time: the console's export and
 * `gatehouse audit export` stream it without holding the set in memory. Events appended while
 * it runs are included when they sort after the last one read.
 */
export async function* exportAuditEvents(deps: Pick<AdminDeps, 'storage'>, filter: AuditFilter): AsyncGenerator<AuditEvent> {
  let cursor: AuditCursor | undefined;
  for (;;) {
    const batch = await deps.storage.auditEvents.query({ ...toQuery(filter), order: 'oldest', cursor, limit: EXPORT_BATCH });
    yield* batch;
    if (batch.length < EXPORT_BATCH) return;
    const last = batch.at(-1)!;
    cursor = { at: last.at, id: last.id };
  }
}

/** One event as a JSON line (the format of `gatehouse audit export` and the webhook). */
export function auditJsonLine(event: AuditEvent): string {
  return `${JSON.stringify(toAuditJson(event))}\n`;
}

export const AUDIT_CSV_COLUMNS = ['id', 'at', 'kind', 'result', 'actor', 'subject', 'client_ip', 'site', 'user_agent', 'reason', 'details'] as const;

/** The CSV export's header line. */
export const AUDIT_CSV_HEADER = `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

/** One event as a CSV line (RFC 4180, CRLF), every cell safe to open in a spreadsheet. */
export function auditCsvLine(event: AuditEvent): string {
  const json = toAuditJson(event);
  const cells = [
    String(json.id),
    json.at,
    json.kind,
    json.result,
    json.actor,
    json.subject,
    json.clientIp,
    json.site,
    json.userAgent,
    json.reason,
    Object.keys(json.details).length ? JSON.stringify(json.details) : '',
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * A CSV cell. Text a spreadsheet would read as a formula (starting with = + - @, or a tab or
 * carriage return that some strip first) gets a leading `'`, so a user agent or user name chosen
 * by an attacker cannot run in the security team's spreadsheet; then RFC 4180 quoting.
 */
export function csvCell(value: string | null): string {
  if (value === null || value === '') return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}
