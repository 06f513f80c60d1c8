import type { Database } from 'better-sqlite3';
import { auditDetailsProblem } from './audit-details.js';
import type { WriteAuditBatch } from './audit-batcher.js';
import { auditOrder, auditWhere } from './audit-query-sql.js';
import type { AuditEvent, AuditResult, AuditStore } from './storage.js';

interface AuditRow {
  id: number;
  at: number;
  kind: string;
  actor: string | null;
  subject: string | null;
  client_ip: string | null;
  user_agent: string | null;
  site: string | null;
  result: AuditResult;
  reason: string | null;
  details: string;
}

const COLUMNS = 'id, at, kind, actor, subject, client_ip, user_agent, site, result, reason, details';
const MAX_LIMIT = 10_000;
/** A user agent or reason is free text from the client: bounded so a header flood cannot grow the table. */
const MAX_TEXT = 512;

/** Many prepared events in one transaction (one commit, one fsync); their ids in order. */
export function createSqliteAuditBatchWriter(db: Database): WriteAuditBatch {
  const insert = db.prepare(
    `INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details)
     VALUES (@at, @kind, @actor, @subject, @clientIp, @userAgent, @site, @result, @reason, @details)`,
  );
  const writeAll = db.transaction((events: readonly Omit<AuditEvent, 'id'>[]) =>
    events.map((e) => Number(insert.run({ ...e, details: JSON.stringify(e.details) }).lastInsertRowid)),
  );
  return async (events) => writeAll.immediate(events);
}

export function createSqliteAuditStore(db: Database): AuditStore {
  const insert = db.prepare(
    `INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details)
     VALUES (@at, @kind, @actor, @subject, @clientIp, @userAgent, @site, @result, @reason, @details)`,
  );
  const latest = db.prepare<[], number>('SELECT max(id) FROM audit_events').pluck();
  const after = db.prepare<[number, number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id > ? ORDER BY id LIMIT ?`);

  return {
    async append(event) {
      const problem = auditDetailsProblem(event.details ?? {});
      if (problem) throw new RangeError(`audit: ${problem}`);
      if (!Number.isSafeInteger(event.at)) throw new RangeError('audit: at must be a time in milliseconds');
      const stored: Omit<AuditEvent, 'id'> = {
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
      const { lastInsertRowid } = insert.run({ ...stored, details: JSON.stringify(stored.details) });
      return { id: Number(lastInsertRowid), ...stored };
    },
    async query(query) {
      const { where, params } = auditWhere(query, () => '?');
      const sql = `SELECT ${COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${auditOrder(query)} LIMIT ?`;
      return db
        .prepare<(string | number)[], AuditRow>(sql)
        .all(...params, checkLimit(query.limit))
        .map(toEvent);
    },
    async after(id, limit) {
      return after.all(id, checkLimit(limit)).map(toEvent);
    },
    async countByInterval({ kinds, since, until, bucketMs }) {
      if (kinds.length === 0) return [];
      const sql = `SELECT (at - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, kind, count(*) AS count FROM audit_events
        WHERE kind IN (${kinds.map(() => '?').join(', ')}) AND at >= ? AND at < ? GROUP BY bucket, kind`;
      return db.prepare<(string | number)[], { bucket: number; kind: string; count: number }>(sql).all(since, bucketMs, ...kinds, since, until);
    },
    async latestId() {
      return latest.get() ?? 0;
    },
  };
}

function bounded(value: string | null | undefined): string | null {
  return value === undefined || value === null ? null : value.slice(0, MAX_TEXT);
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new RangeError(`audit: limit must be 1..${MAX_LIMIT}, got ${limit}`);
  return limit;
}

function toEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    subject: row.subject,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    site: row.site,
    result: row.result,
    reason: row.reason,
    details: JSON.parse(row.details) as AuditEvent['details'],
  };
}
