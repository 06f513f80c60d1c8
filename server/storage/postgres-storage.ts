import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { randomToken } from '../core/random.js';
import { createDeviceSecrets, type DeviceSecrets } from './device-secrets.js';
import { guardPostgresStore, toPostgresStoreError } from './postgres-errors.js';
import { migratePostgres } from './postgres-migrations.js';
import {
  createPostgresAccountStateStore,
  createPostgresAuditStore,
  createPostgresEnrollmentCodeStore,
  createPostgresOtpDeviceStore,
  createPostgresPushDeviceStore,
  createPostgresRecoveryCodeStore,
  createPostgresUserStateStore,
  createPostgresSmsNumberStore,
  createPostgresWebAuthnCredentialStore,
  createPostgresAuditBatchWriter,
} from './postgres-stores.js';
import { inTransaction } from './postgres-client.js';
import { createBatchedAuditStore } from './audit-batcher.js';
import { SecretBoxError, type SecretKey } from './secret-box.js';
import type { Storage } from './storage.js';

export interface PostgresStorageOptions {
  /** postgres://user@host:port/database; the password may come separately. */
  url: string;
  password?: string;
  /** PEM CA bundle: when set, the connection is TLS and the server's certificate is verified against it. */
  tlsCa?: string;
  /** TLS with the system's CAs (no bundle of our own). */
  tls?: boolean;
  poolSize?: number;
  /** A query running longer is cancelled by the server and answered as an outage (503). */
  statementTimeoutMs?: number;
  /** How long to wait for a free pooled connection or a new one. */
  connectTimeoutMs?: number;
  keys: readonly SecretKey[];
}

/**
 * BIGINT (OID 20) comes back from the driver as a string, since it may exceed 2^53. Every
 * BIGINT here is a time in ms, a counter or an id, all safe integers by construction: read
 * them as numbers, and refuse (rather than round) one that is not.
 */
const INT8_OID = 20;
const types: PoolConfig['types'] = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID && format !== 'binary') {
      return (text: string) => {
        const value = Number(text);
        if (!Number.isSafeInteger(value)) throw new RangeError(`storage: ${text} is beyond a safe integer`);
        return value;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as NonNullable<PoolConfig['types']>['getTypeParser'],
};

/**
 * Connects to PostgreSQL, migrates the schema (same migrations and version numbers as SQLite),
 * and checks that every key id a stored secret was sealed under is configured, as SQLite does.
 */
export async function openPostgresStorage(options: PostgresStorageOptions, deps: { logger: Logger; clock?: Clock }): Promise<Storage> {
  const secrets = createDeviceSecrets(options.keys);
  const pool = new pg.Pool({
    connectionString: options.url,
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.tlsCa !== undefined ? { ssl: { ca: options.tlsCa, rejectUnauthorized: true } } : options.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: 'gatehouse',
    types,
  });
  // An idle pooled connection the server drops emits 'error' on the pool: without a listener
  // that would crash the process. The next query opens a fresh connection.
  pool.on('error', (error) => deps.logger.warn({ err: error.message }, 'storage: a pooled PostgreSQL connection failed'));
  try {
    const report = await migratePostgres(pool, (deps.clock ?? systemClock).now());
    if (report.applied.length > 0) deps.logger.info({ storage: 'postgres', from: report.from, to: report.to }, 'storage: migrated the database');
    const inUse = (
      await pool.query<{ id: string }>(
        'SELECT DISTINCT secret_key_id AS id FROM otp_devices UNION SELECT DISTINCT subscription_key_id FROM push_devices WHERE subscription_key_id IS NOT NULL',
      )
    ).rows.map((r) => r.id);
    const missing = secrets.missingKeys(inUse);
    if (missing.length > 0) {
      throw new SecretBoxError(
        'unknown-key',
        `storage: secrets in PostgreSQL are sealed under key id${missing.length === 1 ? '' : 's'} ${missing.map((id) => `"${id}"`).join(', ')}, ` +
          'which storage.encryption_keys does not list: add the key back (remove an old key only after `gatehouse storage rotate-key` has finished)',
        missing[0],
      );
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toPostgresStoreError(error);
  }
  return postgresStorageOn(pool, secrets);
}

function postgresStorageOn(pool: Pool, secrets: DeviceSecrets): Storage {
  let closed = false;
  const audit = createBatchedAuditStore(createPostgresAuditStore(pool), createPostgresAuditBatchWriter(pool));
  return {
    otpDevices: guardPostgresStore(createPostgresOtpDeviceStore(pool, secrets)),
    pushDevices: guardPostgresStore(createPostgresPushDeviceStore(pool, secrets, () => randomToken(16))),
    accountStates: guardPostgresStore(createPostgresAccountStateStore(pool)),
    recoveryCodes: guardPostgresStore(createPostgresRecoveryCodeStore(pool)),
    enrollmentCodes: guardPostgresStore(createPostgresEnrollmentCodeStore(pool)),
    userState: guardPostgresStore(createPostgresUserStateStore(pool)),
    smsNumbers: guardPostgresStore(createPostgresSmsNumberStore(pool)),
    webauthnCredentials: guardPostgresStore(createPostgresWebAuthnCredentialStore(pool)),
    auditEvents: guardPostgresStore({ append: audit.append, query: audit.query, after: audit.after, latestId: audit.latestId, countByInterval: audit.countByInterval }),
    rotateKeys: async (onProgress) => {
      try {
        return await rotatePostgresSecrets(pool, secrets, onProgress);
      } catch (error) {
        throw toPostgresStoreError(error);
      }
    },
    ping: async () => {
      if (closed) throw new Error('storage: closed');
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        throw toPostgresStoreError(error);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await audit.drain().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

const BATCH = 200;
const SEALED = [
  { what: 'otp device', table: 'otp_devices', column: 'secret', keyColumn: 'secret_key_id', context: (id: string) => id },
  { what: 'push device', table: 'push_devices', column: 'subscription', keyColumn: 'subscription_key_id', context: (id: string) => `push:${id}` },
] as const;

/** As sqlite-rotate-keys.ts: a batch per transaction, rows locked while they are re-sealed, resumable. */
async function rotatePostgresSecrets(pool: Pool, secrets: DeviceSecrets, onProgress?: (done: number, total: number) => void): Promise<number> {
  const current = secrets.currentKeyId;
  if (current === undefined) throw new Error('storage.encryption_keys is empty: there is no key to rotate to');
  const stale = (c: (typeof SEALED)[number]) => `${c.column} IS NOT NULL AND ${c.keyColumn} <> $1`;
  let total = 0;
  for (const c of SEALED) total += Number((await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${c.table} WHERE ${stale(c)}`, [current])).rows[0]!.n);
  let done = 0;
  for (const c of SEALED) {
    for (;;) {
      const rewritten = await inTransaction(pool, async (client) => {
        const rows = (
          await client.query<{ id: string; sealed: string }>(`SELECT id, ${c.column} AS sealed FROM ${c.table} WHERE ${stale(c)} ORDER BY id LIMIT $2 FOR UPDATE`, [current, BATCH])
        ).rows;
        for (const row of rows) {
          let plaintext: Buffer;
          try {
            plaintext = secrets.open(c.context(row.id), row.sealed);
          } catch (error) {
            throw new Error(`${c.what} ${row.id}: ${(error as Error).message}`, { cause: error });
          }
          const { sealed, keyId } = secrets.seal(c.context(row.id), plaintext);
          plaintext.fill(0);
          await client.query(`UPDATE ${c.table} SET ${c.column} = $1, ${c.keyColumn} = $2 WHERE id = $3`, [sealed, keyId, row.id]);
        }
        return rows.length;
      });
      if (rewritten === 0) break;
      done += rewritten;
      total = Math.max(total, done);
      onProgress?.(done, total);
    }
  }
  return done;
}
