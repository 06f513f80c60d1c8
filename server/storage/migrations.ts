import type { Database } from 'better-sqlite3';
import { initialMigration } from './migrations/0001-initial.js';
import { webauthnMigration } from './migrations/0002-webauthn.js';
import { auditEventsMigration } from './migrations/0003-audit-events.js';
import { accountStatesMigration } from './migrations/0004-account-states.js';
import { pushDevicesMigration } from './migrations/0005-push-devices.js';
import { recoveryCodePositionMigration } from './migrations/0006-recovery-code-position.js';
import { pushAppLockMigration } from './migrations/0007-push-app-lock.js';
import { auditFiltersMigration } from './migrations/0008-audit-filters.js';
import { smsNumbersMigration } from './migrations/0009-sms-numbers.js';

/**
 * Versioned schema changes, kept as plain SQL statements so a PostgreSQL backend can run the
 * same list. A migration is never edited once released: a change is a new version.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  initialMigration,
  webauthnMigration,
  auditEventsMigration,
  accountStatesMigration,
  pushDevicesMigration,
  recoveryCodePositionMigration,
  pushAppLockMigration,
  auditFiltersMigration,
  smsNumbersMigration,
];

/** The database was written by a newer Gatehouse, or by a different migration history. */
export class SchemaVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

export interface MigrationReport {
  from: number;
  to: number;
  applied: number[];
}

/**
 * Brings the database up to the newest known version, one transaction per migration.
 * IMMEDIATE transactions take the write lock before re-checking, so two instances starting
 * together apply each migration once. A database newer than this code is refused rather
 * than used: an older binary would not know what the newer columns mean.
 */
export function migrateSqlite(db: Database, now: number, migrations: readonly Migration[] = MIGRATIONS): MigrationReport {
  checkSequence(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
  )`);
  const latest = migrations.at(-1)?.version ?? 0;
  const from = checkApplied(db, migrations, latest);
  const isApplied = db.prepare<[number], { version: number }>('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return false;
      for (const statement of migration.statements) db.exec(statement);
      record.run(migration.version, migration.name, now);
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return { from, to: latest, applied };
}

/** The version the database is at; throws if it is ahead of this code or disagrees with it. */
function checkApplied(db: Database, migrations: readonly Migration[], latest: number): number {
  return checkAppliedRows(db.prepare<[], { version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version').all(), migrations, latest);
}

/** The version recorded rows say the database is at; throws if it is ahead of this code or disagrees with it. */
export function checkAppliedRows(rows: readonly { version: number; name: string }[], migrations: readonly Migration[], latest: number): number {
  const newest = rows.at(-1)?.version ?? 0;
  if (newest > latest) {
    throw new SchemaVersionError(
      `the database is at schema version ${newest}, but this Gatehouse knows versions up to ${latest}: ` +
        'run the newer Gatehouse that wrote it, or restore a backup taken before the upgrade',
    );
  }
  for (const row of rows) {
    const known = migrations.find((m) => m.version === row.version);
    if (known?.name !== row.name) {
      throw new SchemaVersionError(`the database's migration ${row.version} is "${row.name}", but this Gatehouse's is "${known?.name ?? '(none)'}"`);
    }
  }
  return newest;
}

export function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new RangeError(`migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
  });
}
