import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { migrateSqlite } from './migrations.js';
import { migratePostgres } from './postgres-migrations.js';
import { inTransaction } from './postgres-client.js';
import type { PostgresStorageOptions } from './postgres-storage.js';

/**
 * Every table that holds data, parents before children. A test checks this against the
 * migrated SQLite schema, so a new table cannot be left out of a copy by forgetting it here.
 */
export const COPIED_TABLES = [
  'otp_devices',
  'push_devices',
  'recovery_codes',
  'enrollment_codes',
  'user_factor_state',
  'sms_numbers',
  'webauthn_user_handles',
  'webauthn_credentials',
  'account_states',
  'audit_events',
] as const;

const BATCH = 500;

export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

export interface CopyReport {
  /** Rows per table, as counted in both databases after the copy (they are equal, or the copy failed). */
  tables: { table: string; rows: number }[];
}

/**
 * Copies a SQLite database into an empty PostgreSQL database, row for row and column for
 * column. Sealed secrets are copied as ciphertext, never opened: they stay under the keys
 * they were sealed with, and since the AES-GCM associated data is the row's id, ids are copied
 * as they are (audit event ids too, and the id sequence moves past them). The whole copy is
 * one PostgreSQL transaction: an interrupted copy leaves the target empty. Counts are compared
 * per table inside that transaction before it commits.
 */
export async function copySqliteToPostgres(
  sqlitePath: string,
  target: Pick<PostgresStorageOptions, 'url' | 'password' | 'tlsCa' | 'tls'>,
  options: { now: number; onProgress?: (table: string, done: number, total: number) => void },
): Promise<CopyReport> {
  const source = new BetterSqlite3(sqlitePath, { fileMustExist: true });
  const pool = new pg.Pool({
    connectionString: target.url,
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.tlsCa !== undefined ? { ssl: { ca: target.tlsCa, rejectUnauthorized: true } } : target.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    max: 1,
    // BIGINT stays text (not a double) on the way out, as it goes in.
    types: {
      getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
    },
  });
  try {
    // Brings an older file up to this version's schema first, so both sides have the same columns.
    migrateSqlite(source, options.now);
    await migratePostgres(pool, options.now);
    source.defaultSafeIntegers(true);
    return await inTransaction(pool, async (client) => {
      // Nobody else may write while we check "empty" and fill it.
      await client.query(`LOCK TABLE ${COPIED_TABLES.join(', ')} IN EXCLUSIVE MODE`);
      for (const table of COPIED_TABLES) {
        const { rows } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
        if (rows.length > 0) throw new CopyRefusedError(`the PostgreSQL database is not empty (table ${table} has rows): copy only into a new, empty database`);
      }
      const report: CopyReport = { tables: [] };
      for (const table of COPIED_TABLES) {
        const columns = (source.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
        const total = Number(source.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
        const select = source.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY rowid LIMIT ? OFFSET ?`).raw(true);
        let done = 0;
        options.onProgress?.(table, 0, total);
        while (done < total) {
          const batch = select.all(BATCH, done) as unknown[][];
          if (batch.length === 0) break;
          const params: unknown[] = [];
          const tuples = batch.map((row) => `(${row.map((value) => `$${params.push(toParam(value))}`).join(', ')})`);
          await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
          done += batch.length;
          options.onProgress?.(table, done, total);
        }
        const copied = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        if (copied !== total) throw new Error(`${table}: ${total} rows in SQLite but ${copied} in PostgreSQL after the copy; nothing was committed`);
        report.tables.push({ table, rows: total });
      }
      // The next appended event continues after the copied ids.
      await client.query(
        `SELECT setval(pg_get_serial_sequence('audit_events', 'id'), GREATEST((SELECT max(id) FROM audit_events), 1), (SELECT max(id) FROM audit_events) IS NOT NULL)`,
      );
      return report;
    });
  } finally {
    source.close();
    await pool.end().catch(() => undefined);
  }
}

/** SQLite hands integers out as BigInt here (safe integers mode): passed on as exact text. */
function toParam(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
