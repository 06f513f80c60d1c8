import type { Migration } from '../migrations.js';

/**
 * The audit log: one row per security event, append-only. `id` is an increasing integer so
 * `gatehouse audit tail --follow` can ask for "everything after the last row I printed"
 * without relying on clocks. Details are JSON text of an allow-listed object (never a secret).
 * BIGSERIAL-like behaviour comes from INTEGER PRIMARY KEY here; a PostgreSQL backend maps it.
 */
export const auditEventsMigration: Migration = {
  version: 3,
  name: 'audit-events',
  statements: [
    `CREATE TABLE audit_events (
      id INTEGER PRIMARY KEY,
      at BIGINT NOT NULL,
      kind TEXT NOT NULL,
      actor TEXT,
      subject TEXT,
      client_ip TEXT,
      user_agent TEXT,
      site TEXT,
      result TEXT NOT NULL CHECK (result IN ('success', 'failure', 'info')),
      reason TEXT,
      details TEXT NOT NULL
    )`,
    `CREATE INDEX audit_events_subject_at ON audit_events (subject, at)`,
    `CREATE INDEX audit_events_kind_at ON audit_events (kind, at)`,
  ],
};
