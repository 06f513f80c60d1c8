import type { Pool, PoolClient } from 'pg';
import { randomToken } from '../core/random.js';
import { auditDetailsProblem } from './audit-details.js';
import { inTransaction } from './postgres-client.js';
import { auditOrder, auditWhere } from './audit-query-sql.js';
import type { WriteAuditBatch } from './audit-batcher.js';
import type { DeviceSecrets } from './device-secrets.js';
import { isPostgresUniqueViolation } from './postgres-errors.js';
import {
  DuplicateCredentialError,
  DuplicateSerialError,
  type AccountState,
  type AccountStateStore,
  type AuditEvent,
  type AuditResult,
  type AuditStore,
  type EnrollmentCode,
  type EnrollmentCodeStore,
  type EnrollmentMethod,
  type NewOtpDevice,
  type OtpAlgorithm,
  type OtpDevice,
  type OtpDeviceStore,
  type OtpKind,
  type PushDevice,
  type PushDeviceStore,
  type RecoveryCode,
  type RecoveryCodeStore,
  type SmsNumberStore,
  type UserStateStore,
  type WebAuthnCredential,
  type WebAuthnCredentialStore,
} from './storage.js';

/**
 * The PostgreSQL twins of the sqlite-*.ts stores: the same tables (same migrations), the same
 * rules. Every single-use claim and compare-and-set is one conditional UPDATE whose row count
 * says who won, exactly as on SQLite: PostgreSQL re-checks the WHERE clause on the newest row
 * version after waiting for a concurrent writer, so of two racing updates only one matches.
 * Multi-statement changes run in one transaction on one pooled connection.
 */

type Db = Pool | PoolClient;
type Param = string | number | null;

async function run(db: Db, sql: string, params: Param[] = []): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}

async function all<R>(db: Db, sql: string, params: Param[] = []): Promise<R[]> {
  return (await db.query(sql, params)).rows as R[];
}

async function one<R>(db: Db, sql: string, params: Param[] = []): Promise<R | undefined> {
  return (await all<R>(db, sql, params))[0];
}

// ---------------------------------------------------------------- OTP devices

interface DeviceRow {
  id: string;
  username: string | null;
  kind: OtpKind;
  name: string;
  secret: string;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  counter: number;
  drift_steps: number;
  last_step: number | null;
  serial: string | null;
  confirmed: number;
  created_at: number;
  last_used_at: number | null;
}

const DEVICE_COLUMNS = 'id, username, kind, name, secret, algorithm, digits, period, counter, drift_steps, last_step, serial, confirmed, created_at, last_used_at';
type RecordUseChange = Parameters<OtpDeviceStore['recordUse']>[1];

export function createPostgresOtpDeviceStore(pool: Pool, secrets: DeviceSecrets): OtpDeviceStore {
  const toDevice = (row: DeviceRow): OtpDevice => ({
    id: row.id,
    username: row.username,
    kind: row.kind,
    name: row.name,
    secret: secrets.open(row.id, row.secret),
    algorithm: row.algorithm,
    digits: row.digits as 6 | 8,
    period: row.period,
    counter: row.counter,
    driftSteps: row.drift_steps,
    lastStep: row.last_step,
    serial: row.serial,
    confirmed: row.confirmed === 1,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  });
  const bySerial = (db: Db, serial: string) => one<DeviceRow>(db, `SELECT ${DEVICE_COLUMNS} FROM otp_devices WHERE serial = $1`, [serial]);

  const insertDevice = async (db: Db, device: NewOtpDevice, now: number): Promise<OtpDevice> => {
    if (!Buffer.isBuffer(device.secret) || device.secret.length === 0) throw new TypeError('an OTP device needs a non-empty secret');
    const id = randomToken(16);
    const { sealed, keyId } = secrets.seal(id, device.secret);
    const counter = device.counter ?? 0;
    const confirmed = device.confirmed ?? false;
    const stored: OtpDevice = {
      id,
      username: device.username,
      kind: device.kind,
      name: device.name,
      secret: Buffer.from(device.secret),
      algorithm: device.algorithm,
      digits: device.digits,
      period: device.period,
      counter,
      driftSteps: 0,
      lastStep: null,
      serial: device.serial,
      confirmed,
      createdAt: now,
      lastUsedAt: null,
    };
    try {
      await run(
        db,
        `INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, counter, serial, confirmed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [id, stored.username, stored.kind, stored.name, sealed, keyId, stored.algorithm, stored.digits, stored.period, counter, stored.serial, confirmed ? 1 : 0, now],
      );
    } catch (error) {
      if (device.serial !== null && isPostgresUniqueViolation(error, 'otp_devices_serial_key')) throw new DuplicateSerialError(device.serial, 'stored');
      throw error;
    }
    return stored;
  };

  return {
    create: (device, now) => insertDevice(pool, device, now),
    async get(id) {
      const row = await one<DeviceRow>(pool, `SELECT ${DEVICE_COLUMNS} FROM otp_devices WHERE id = $1`, [id]);
      return row && toDevice(row);
    },
    async listForUser(username) {
      return (await all<DeviceRow>(pool, `SELECT ${DEVICE_COLUMNS} FROM otp_devices WHERE username = $1 ORDER BY created_at, id`, [username])).map(toDevice);
    },
    async findBySerial(serial) {
      const row = await bySerial(pool, serial);
      return row && toDevice(row);
    },
    async listTokens() {
      // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
      return (await all<DeviceRow>(pool, `SELECT ${DEVICE_COLUMNS} FROM otp_devices WHERE serial IS NOT NULL ORDER BY serial COLLATE "C"`)).map(toDevice);
    },
    async rename(id, name) {
      return (await run(pool, 'UPDATE otp_devices SET name = $1 WHERE id = $2', [name, id])) === 1;
    },
    async confirm(id, now) {
      return (await run(pool, 'UPDATE otp_devices SET confirmed = 1, last_used_at = $1 WHERE id = $2 AND confirmed = 0', [now, id])) === 1;
    },
    async remove(id) {
      return (await run(pool, 'DELETE FROM otp_devices WHERE id = $1', [id])) === 1;
    },
    async recordUse(id, change, now) {
      const { sql, params } = recordUseQuery(id, change, now);
      return (await run(pool, sql, params)) === 1;
    },
    async assign(serial, username) {
      return (await run(pool, 'UPDATE otp_devices SET username = $1 WHERE serial = $2 AND username IS NULL', [username, serial])) === 1;
    },
    async unassign(serial) {
      return (await run(pool, 'UPDATE otp_devices SET username = NULL, name = serial, last_used_at = NULL WHERE serial = $1 AND username IS NOT NULL', [serial])) === 1;
    },
    async importTokens(batch, now) {
      const seen = new Set<string>();
      for (const token of batch) {
        if (typeof token.serial !== 'string' || token.serial.length === 0) throw new TypeError('every imported token needs a serial');
        if (seen.has(token.serial)) throw new DuplicateSerialError(token.serial, 'in-batch');
        seen.add(token.serial);
      }
      await inTransaction(pool, async (client) => {
        for (const token of batch) {
          if (await bySerial(client, token.serial!)) throw new DuplicateSerialError(token.serial!, 'stored');
          await insertDevice(client, token, now);
        }
      });
    },
  };
}

/** As sqlite-otp-devices.ts: the UPDATE matches only while the stored value is the expected one. */
function recordUseQuery(id: string, change: RecordUseChange, now: number): { sql: string; params: Param[] } {
  const params: Param[] = [now];
  const sets = ['last_used_at = $1'];
  const field = (column: string, value: number | undefined) => {
    if (value === undefined) return;
    if (!Number.isSafeInteger(value)) throw new RangeError(`${column} must be a safe integer, got ${value}`);
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  };
  field('counter', change.counter);
  field('last_step', change.lastStep);
  field('drift_steps', change.driftSteps);
  params.push(id);
  const where = [`id = $${params.length}`];
  if (change.expectedCounter !== undefined) {
    params.push(change.expectedCounter);
    where.push(`counter = $${params.length}`);
  }
  if (change.expectedLastStep !== undefined) {
    params.push(change.expectedLastStep);
    // IS NOT DISTINCT FROM is PostgreSQL's spelling of SQLite's null-safe "IS".
    where.push(`last_step IS NOT DISTINCT FROM $${params.length}::bigint`);
  }
  if (where.length === 1) throw new TypeError('recordUse needs expectedCounter or expectedLastStep: an unconditional write is not single use');
  return { sql: `UPDATE otp_devices SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`, params };
}

// ---------------------------------------------------------------- recovery and enrollment codes

interface CodeRow {
  id: string;
  username: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

interface EnrollmentRow extends CodeRow {
  method: EnrollmentMethod;
  expires_at: number;
  issued_by: string;
}

const toRecoveryCode = (row: CodeRow): RecoveryCode => ({ id: row.id, username: row.username, codeHash: row.code_hash, createdAt: row.created_at, usedAt: row.used_at });

export function createPostgresRecoveryCodeStore(pool: Pool): RecoveryCodeStore {
  return {
    async replaceSet(username, codeHashes, now) {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM recovery_codes WHERE username = $1', [username]);
        for (const [position, hash] of codeHashes.entries()) {
          await client.query('INSERT INTO recovery_codes (id, username, code_hash, created_at, position) VALUES ($1, $2, $3, $4, $5)', [
            randomToken(16),
            username,
            hash,
            now,
            position,
          ]);
        }
      });
    },
    async listForUser(username) {
      const rows = await all<CodeRow>(pool, 'SELECT id, username, code_hash, created_at, used_at FROM recovery_codes WHERE username = $1 ORDER BY created_at, position, id', [
        username,
      ]);
      return rows.map(toRecoveryCode);
    },
    async markUsed(id, now) {
      return (await run(pool, 'UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [now, id])) === 1;
    },
  };
}

export function createPostgresEnrollmentCodeStore(pool: Pool): EnrollmentCodeStore {
  return {
    async create(code) {
      const stored: EnrollmentCode = { id: randomToken(16), ...code, usedAt: null };
      await run(pool, 'INSERT INTO enrollment_codes (id, username, method, code_hash, created_at, expires_at, issued_by) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        stored.id,
        stored.username,
        stored.method,
        stored.codeHash,
        stored.createdAt,
        stored.expiresAt,
        stored.issuedBy,
      ]);
      return stored;
    },
    async findByHash(codeHash) {
      const row = await one<EnrollmentRow>(pool, 'SELECT id, username, method, code_hash, created_at, expires_at, used_at, issued_by FROM enrollment_codes WHERE code_hash = $1', [
        codeHash,
      ]);
      return row && { ...toRecoveryCode(row), method: row.method, expiresAt: row.expires_at, issuedBy: row.issued_by };
    },
    async redeem(id, now) {
      // One statement: used-or-expired and redeemed cannot interleave between two instances.
      return (await run(pool, 'UPDATE enrollment_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1', [now, id])) === 1;
    },
    async purgeExpired(now) {
      return run(pool, 'DELETE FROM enrollment_codes WHERE expires_at < $1', [now]);
    },
  };
}

// ---------------------------------------------------------------- user state

export function createPostgresUserStateStore(pool: Pool): UserStateStore {
  return {
    async get(username) {
      const row = await one<{ username: string; last_factor_kind: string | null; last_device_id: string | null }>(
        pool,
        'SELECT username, last_factor_kind, last_device_id FROM user_factor_state WHERE username = $1',
        [username],
      );
      return row && { username: row.username, lastFactorKind: row.last_factor_kind, lastDeviceId: row.last_device_id };
    },
    async setLastUsed(username, kind, deviceId) {
      await run(
        pool,
        `INSERT INTO user_factor_state (username, last_factor_kind, last_device_id) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO UPDATE SET last_factor_kind = excluded.last_factor_kind, last_device_id = excluded.last_device_id`,
        [username, kind, deviceId],
      );
    },
    async resetUser(username) {
      // The same list as sqlite-user-state.ts, in one transaction.
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM otp_devices WHERE username = $1 AND serial IS NULL', [username]);
        await client.query('UPDATE otp_devices SET username = NULL, name = serial, last_used_at = NULL WHERE username = $1 AND serial IS NOT NULL', [username]);
        await client.query('DELETE FROM recovery_codes WHERE username = $1', [username]);
        await client.query('DELETE FROM enrollment_codes WHERE username = $1', [username]);
        await client.query('DELETE FROM user_factor_state WHERE username = $1', [username]);
        await client.query('DELETE FROM webauthn_credentials WHERE username = $1', [username]);
        await client.query('DELETE FROM webauthn_user_handles WHERE username = $1', [username]);
        await client.query('DELETE FROM push_devices WHERE username = $1', [username]);
        await client.query('DELETE FROM sms_numbers WHERE username = $1', [username]);
      });
    },
  };
}

// ---------------------------------------------------------------- SMS numbers

export function createPostgresSmsNumberStore(pool: Pool): SmsNumberStore {
  return {
    async get(username) {
      const row = await one<{ username: string; number: string; created_at: string | number }>(pool, 'SELECT username, number, created_at FROM sms_numbers WHERE username = $1', [
        username,
      ]);
      return row && { username: row.username, number: row.number, createdAt: Number(row.created_at) };
    },
    async set(username, number, now) {
      await run(
        pool,
        'INSERT INTO sms_numbers (username, number, created_at) VALUES ($1, $2, $3) ON CONFLICT (username) DO UPDATE SET number = excluded.number, created_at = excluded.created_at',
        [username, number, now],
      );
    },
    async remove(username) {
      return (await run(pool, 'DELETE FROM sms_numbers WHERE username = $1', [username])) === 1;
    },
  };
}

// ---------------------------------------------------------------- WebAuthn credentials

interface CredentialRow {
  id: string;
  username: string;
  user_handle: string;
  public_key: string;
  counter: number;
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backup_state: number;
  user_verified: number;
  discoverable: number | null;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

const CREDENTIAL_COLUMNS =
  'id, username, user_handle, public_key, counter, transports, aaguid, backup_eligible, backup_state, user_verified, discoverable, name, created_at, last_used_at';
const flag = (value: boolean) => (value ? 1 : 0);

function checkCounter(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`a signature counter must be 0..2^32-1, got ${value}`);
}

function toCredential(row: CredentialRow): WebAuthnCredential {
  return {
    id: row.id,
    username: row.username,
    userHandle: row.user_handle,
    publicKey: Buffer.from(row.public_key, 'base64url'),
    counter: row.counter,
    transports: JSON.parse(row.transports) as string[],
    aaguid: row.aaguid,
    backupEligible: row.backup_eligible === 1,
    backupState: row.backup_state === 1,
    userVerified: row.user_verified === 1,
    discoverable: row.discoverable === null ? null : row.discoverable === 1,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function createPostgresWebAuthnCredentialStore(pool: Pool): WebAuthnCredentialStore {
  const handleOf = async (username: string) =>
    (await one<{ user_handle: string }>(pool, 'SELECT user_handle FROM webauthn_user_handles WHERE username = $1', [username]))?.user_handle;
  return {
    async create(credential, now) {
      checkCounter(credential.counter);
      const stored: WebAuthnCredential = { ...credential, publicKey: Buffer.from(credential.publicKey), transports: [...credential.transports], createdAt: now, lastUsedAt: null };
      try {
        await run(pool, `INSERT INTO webauthn_credentials (${CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL)`, [
          stored.id,
          stored.username,
          stored.userHandle,
          stored.publicKey.toString('base64url'),
          stored.counter,
          JSON.stringify(stored.transports),
          stored.aaguid,
          flag(stored.backupEligible),
          flag(stored.backupState),
          flag(stored.userVerified),
          stored.discoverable === null ? null : flag(stored.discoverable),
          stored.name,
          now,
        ]);
      } catch (error) {
        if (isPostgresUniqueViolation(error, 'webauthn_credentials_pkey')) throw new DuplicateCredentialError(credential.id);
        throw error;
      }
      return stored;
    },
    async get(id) {
      const row = await one<CredentialRow>(pool, `SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE id = $1`, [id]);
      return row && toCredential(row);
    },
    async listForUser(username) {
      return (await all<CredentialRow>(pool, `SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE username = $1 ORDER BY created_at, id`, [username])).map(toCredential);
    },
    async userHandleFor(username, create) {
      const existing = await handleOf(username);
      if (existing) return existing;
      await run(pool, 'INSERT INTO webauthn_user_handles (username, user_handle) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING', [username, create()]);
      return (await handleOf(username))!;
    },
    async findUserByHandle(userHandle) {
      return (await one<{ username: string }>(pool, 'SELECT username FROM webauthn_user_handles WHERE user_handle = $1', [userHandle]))?.username;
    },
    async recordUse(id, change, now) {
      checkCounter(change.counter);
      checkCounter(change.expectedCounter);
      const sql = 'UPDATE webauthn_credentials SET counter = $1, backup_state = $2, last_used_at = $3 WHERE id = $4 AND counter = $5';
      return (await run(pool, sql, [change.counter, flag(change.backupState), now, id, change.expectedCounter])) === 1;
    },
    async rename(id, name) {
      return (await run(pool, 'UPDATE webauthn_credentials SET name = $1 WHERE id = $2', [name, id])) === 1;
    },
    async remove(id) {
      return (await run(pool, 'DELETE FROM webauthn_credentials WHERE id = $1', [id])) === 1;
    },
  };
}

// ---------------------------------------------------------------- audit events

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

const AUDIT_COLUMNS = 'id, at, kind, actor, subject, client_ip, user_agent, site, result, reason, details';
const MAX_LIMIT = 10_000;
const MAX_TEXT = 512;

const bounded = (value: string | null | undefined): string | null => (value === undefined || value === null ? null : value.slice(0, MAX_TEXT));

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new RangeError(`audit: limit must be 1..${MAX_LIMIT}, got ${limit}`);
  return limit;
}

const toEvent = (row: AuditRow): AuditEvent => ({
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
});

/** Many prepared events in one transaction (one commit); their ids in order. */
export function createPostgresAuditBatchWriter(pool: Pool): WriteAuditBatch {
  return (events) =>
    inTransaction(pool, async (client) => {
      const ids: number[] = [];
      for (const e of events) {
        const row = await one<{ id: number }>(
          client,
          `INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
          [e.at, e.kind, e.actor, e.subject, e.clientIp, e.userAgent, e.site, e.result, e.reason, JSON.stringify(e.details)],
        );
        ids.push(row!.id);
      }
      return ids;
    });
}

export function createPostgresAuditStore(pool: Pool): AuditStore {
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
      const row = await one<{ id: number }>(
        pool,
        `INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [stored.at, stored.kind, stored.actor, stored.subject, stored.clientIp, stored.userAgent, stored.site, stored.result, stored.reason, JSON.stringify(stored.details)],
      );
      return { id: row!.id, ...stored };
    },
    async query(query) {
      const { where, params } = auditWhere(query, (n) => `$${n}`);
      params.push(checkLimit(query.limit));
      const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${auditOrder(query)} LIMIT $${params.length}`;
      return (await all<AuditRow>(pool, sql, params)).map(toEvent);
    },
    async after(id, limit) {
      return (await all<AuditRow>(pool, `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`, [id, checkLimit(limit)])).map(toEvent);
    },
    async countByInterval({ kinds, since, until, bucketMs }) {
      if (kinds.length === 0) return [];
      const rows = await all<{ bucket: string; kind: string; count: string }>(
        pool,
        `SELECT (at - $1) / $2 AS bucket, kind, count(*) AS count FROM audit_events
          WHERE at >= $3 AND at < $4 AND kind IN (${kinds.map((_, i) => `$${i + 5}`).join(', ')}) GROUP BY bucket, kind`,
        [since, bucketMs, since, until, ...kinds],
      );
      return rows.map((r) => ({ bucket: Number(r.bucket), kind: r.kind, count: Number(r.count) }));
    },
    async latestId() {
      const rows = await all<{ id: string | null }>(pool, 'SELECT max(id) AS id FROM audit_events', []);
      return Number(rows[0]?.id ?? 0);
    },
  };
}

// ---------------------------------------------------------------- account states

interface AccountRow {
  username: string;
  disabled_at: number;
  disabled_by: string;
  reason: string | null;
}

const toState = (row: AccountRow): AccountState => ({ username: row.username, disabledAt: row.disabled_at, disabledBy: row.disabled_by, reason: row.reason });

export function createPostgresAccountStateStore(pool: Pool): AccountStateStore {
  return {
    async get(username) {
      const row = await one<AccountRow>(pool, 'SELECT username, disabled_at, disabled_by, reason FROM account_states WHERE username = $1', [username]);
      return row && toState(row);
    },
    async disable(username, { actor, reason, now }) {
      await run(pool, 'INSERT INTO account_states (username, disabled_at, disabled_by, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING', [
        username,
        now,
        actor,
        reason,
      ]);
    },
    async enable(username) {
      return (await run(pool, 'DELETE FROM account_states WHERE username = $1', [username])) > 0;
    },
    async listDisabled() {
      return (await all<AccountRow>(pool, 'SELECT username, disabled_at, disabled_by, reason FROM account_states ORDER BY username COLLATE "C"')).map(toState);
    },
  };
}

// ---------------------------------------------------------------- push devices

interface PushRow {
  id: string;
  username: string;
  name: string;
  public_key: string;
  subscription: string | null;
  otp_device_id: string | null;
  clock_offset_ms: number;
  created_at: number;
  last_used_at: number | null;
  last_seen_at: number | null;
  app_lock_credential_id: string | null;
  app_lock_public_key: string | null;
  app_lock_counter: number | string | null;
}

const PUSH_COLUMNS =
  'id, username, name, public_key, subscription, otp_device_id, clock_offset_ms, created_at, last_used_at, last_seen_at, app_lock_credential_id, app_lock_public_key, app_lock_counter';
const pushContext = (id: string) => `push:${id}`;

export function createPostgresPushDeviceStore(pool: Pool, secrets: DeviceSecrets, newId: () => string): PushDeviceStore {
  const seal = (id: string, subscription: string | null) => {
    if (subscription === null) return { sealed: null, keyId: null };
    return secrets.seal(pushContext(id), Buffer.from(subscription, 'utf8'));
  };
  const toDevice = (row: PushRow): PushDevice => ({
    id: row.id,
    username: row.username,
    name: row.name,
    publicKey: Buffer.from(row.public_key, 'base64url'),
    subscription: row.subscription === null ? null : secrets.open(pushContext(row.id), row.subscription).toString('utf8'),
    otpDeviceId: row.otp_device_id,
    clockOffsetMs: row.clock_offset_ms,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    lastSeenAt: row.last_seen_at,
    appLock:
      row.app_lock_credential_id && row.app_lock_public_key
        ? { credentialId: row.app_lock_credential_id, publicKey: Buffer.from(row.app_lock_public_key, 'base64url'), counter: Number(row.app_lock_counter ?? 0) }
        : null,
  });
  const byId = (db: Db, id: string) => one<PushRow>(db, `SELECT ${PUSH_COLUMNS} FROM push_devices WHERE id = $1`, [id]);

  return {
    async create(device, now) {
      const id = newId();
      const { sealed, keyId } = seal(id, device.subscription);
      await run(
        pool,
        `INSERT INTO push_devices (id, username, name, public_key, subscription_key_id, subscription, otp_device_id, clock_offset_ms, created_at,
           app_lock_credential_id, app_lock_public_key, app_lock_counter)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11)`,
        [
          id,
          device.username,
          device.name,
          device.publicKey.toString('base64url'),
          keyId,
          sealed,
          device.otpDeviceId,
          now,
          device.appLock?.credentialId ?? null,
          device.appLock ? device.appLock.publicKey.toString('base64url') : null,
          device.appLock?.counter ?? null,
        ],
      );
      return toDevice((await byId(pool, id))!);
    },
    async get(id) {
      const row = await byId(pool, id);
      return row && toDevice(row);
    },
    async listForUser(username) {
      return (await all<PushRow>(pool, `SELECT ${PUSH_COLUMNS} FROM push_devices WHERE username = $1 ORDER BY created_at, id`, [username])).map(toDevice);
    },
    async rename(id, name) {
      // The phone's offline codes carry its name too: one change, both rows.
      return inTransaction(pool, async (client) => {
        const row = await one<PushRow>(client, `SELECT ${PUSH_COLUMNS} FROM push_devices WHERE id = $1 FOR UPDATE`, [id]);
        if (!row) return false;
        if (row.otp_device_id) await client.query('UPDATE otp_devices SET name = $1 WHERE id = $2 AND username = $3', [name, row.otp_device_id, row.username]);
        return (await run(client, 'UPDATE push_devices SET name = $1 WHERE id = $2', [name, id])) > 0;
      });
    },
    async updateSubscription(id, subscription) {
      const { sealed, keyId } = seal(id, subscription);
      return (await run(pool, 'UPDATE push_devices SET subscription = $1, subscription_key_id = $2 WHERE id = $3', [sealed, keyId, id])) > 0;
    },
    async recordSeen(id, clockOffsetMs, now) {
      return (await run(pool, 'UPDATE push_devices SET clock_offset_ms = $1, last_seen_at = $2 WHERE id = $3', [Math.round(clockOffsetMs), now, id])) > 0;
    },
    async recordUse(id, now) {
      return (await run(pool, 'UPDATE push_devices SET last_used_at = $1, last_seen_at = $1 WHERE id = $2', [now, id])) > 0;
    },
    async updateAppLockCounter(id, expected, counter) {
      return (await run(pool, 'UPDATE push_devices SET app_lock_counter = $1 WHERE id = $2 AND app_lock_counter = $3', [counter, id, expected])) > 0;
    },
    async remove(id) {
      return inTransaction(pool, async (client) => {
        const row = await one<PushRow>(client, `SELECT ${PUSH_COLUMNS} FROM push_devices WHERE id = $1 FOR UPDATE`, [id]);
        if (!row) return false;
        if (row.otp_device_id) await client.query('DELETE FROM otp_devices WHERE id = $1 AND username = $2', [row.otp_device_id, row.username]);
        return (await run(client, 'DELETE FROM push_devices WHERE id = $1', [id])) > 0;
      });
    },
  };
}
