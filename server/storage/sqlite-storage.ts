import { closeSync, openSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createDeviceSecrets } from './device-secrets.js';
import { migrateSqlite } from './migrations.js';
import type { SecretKey } from './secret-box.js';
import { SecretBoxError } from './secret-box.js';
import { randomToken } from '../core/random.js';
import { createSqliteAccountStateStore } from './sqlite-account-states.js';
import { createSqlitePushDeviceStore } from './sqlite-push-devices.js';
import { createBatchedAuditStore } from './audit-batcher.js';
import { createSqliteAuditBatchWriter, createSqliteAuditStore } from './sqlite-audit-events.js';
import { createSqliteAuditWorkerWriter } from './sqlite-audit-worker.js';
import { createSqliteEnrollmentCodeStore, createSqliteRecoveryCodeStore } from './sqlite-codes.js';
import { guardStore, toStoreError } from './sqlite-errors.js';
import { createSqliteOtpDeviceStore } from './sqlite-otp-devices.js';
import { rotateSqliteSecrets } from './sqlite-rotate-keys.js';
import { createSqliteSmsNumberStore, createSqliteUserStateStore } from './sqlite-user-state.js';
import { createSqliteWebAuthnCredentialStore } from './sqlite-webauthn-credentials.js';
import type { Storage } from './storage.js';

export interface SqliteStorageOptions {
  /** Database file, or ':memory:' for tests. */
  path: string;
  /** The first encrypts; all decrypt. May be empty only while no secret is stored. */
  keys: readonly SecretKey[];
  /**
   * How long a write waits for another connection's lock. better-sqlite3 is synchronous, so
   * the wait blocks this process: keep it short (writes here take microseconds).
   */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the SQLite database, migrates it, and checks that every key id
 * its secrets were sealed under is configured: a removed key is found at start-up, not at
 * the first sign-in of the user whose seed it sealed.
 */
export function openSqliteStorage(options: SqliteStorageOptions, deps: { logger: Logger; clock?: Clock }): Storage {
  const secrets = createDeviceSecrets(options.keys);
  const db = openDatabase(options.path, deps.logger);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 2000))}`);
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: a replay floor that a power cut rolls back would accept a code twice.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const report = migrateSqlite(db, (deps.clock ?? systemClock).now());
    if (report.applied.length > 0) deps.logger.info({ storage: options.path, from: report.from, to: report.to }, 'storage: migrated the database');
    const inUse = db
      .prepare<[], { id: string }>('SELECT DISTINCT secret_key_id AS id FROM otp_devices')
      .all()
      .map((r) => r.id);
    const missing = secrets.missingKeys(inUse);
    if (missing.length > 0) {
      throw new SecretBoxError(
        'unknown-key',
        `storage: secrets in ${options.path} are sealed under key id${missing.length === 1 ? '' : 's'} ${missing.map((id) => `"${id}"`).join(', ')}, ` +
          'which storage.encryption_keys does not list: add the key back (remove an old key only after `gatehouse storage rotate-key` has finished)',
        missing[0],
      );
    }
  } catch (error) {
    db.close();
    throw toStoreError(error);
  }

  const ping = db.prepare('SELECT 1');
  // Audit commits (one fsync each) off the event loop; an in-memory database has no file to share.
  const auditWorker = options.path === ':memory:' ? undefined : createSqliteAuditWorkerWriter({ path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? 2000 });
  const audit = createBatchedAuditStore(createSqliteAuditStore(db), auditWorker?.write ?? createSqliteAuditBatchWriter(db));
  let closed = false;
  return {
    otpDevices: guardStore(createSqliteOtpDeviceStore(db, secrets)),
    pushDevices: guardStore(createSqlitePushDeviceStore(db, secrets, () => randomToken(16))),
    accountStates: guardStore(createSqliteAccountStateStore(db)),
    recoveryCodes: guardStore(createSqliteRecoveryCodeStore(db)),
    enrollmentCodes: guardStore(createSqliteEnrollmentCodeStore(db)),
    userState: guardStore(createSqliteUserStateStore(db)),
    smsNumbers: guardStore(createSqliteSmsNumberStore(db)),
    webauthnCredentials: guardStore(createSqliteWebAuthnCredentialStore(db)),
    auditEvents: guardStore({ append: audit.append, query: audit.query, after: audit.after, latestId: audit.latestId, countByInterval: audit.countByInterval }),
    rotateKeys: async (onProgress) => {
      try {
        return rotateSqliteSecrets(db, secrets, onProgress);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    ping: async () => {
      if (closed) throw new Error('storage: closed');
      try {
        ping.get();
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: async () => {
      closed = true;
      // Usually nothing is queued, and the file closes at once (synchronously, before any await).
      if (!audit.idle()) await audit.drain().catch(() => undefined);
      if (db.open) db.close();
      await auditWorker?.close();
    },
  };
}

/** Seeds are sealed, but usernames and token inventory are still nobody else's business. */
function openDatabase(path: string, logger: Logger): Database {
  if (path === ':memory:') return new BetterSqlite3(path);
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new Error(`storage: cannot create ${path} (${code ?? 'error'})`, { cause: error });
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) logger.warn({ storage: path, mode: mode.toString(8) }, 'storage: the database file is readable by other users; chmod 600 it');
  }
  return new BetterSqlite3(path, { fileMustExist: true });
}
