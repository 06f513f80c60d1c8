import type { Database, Statement } from 'better-sqlite3';
import { randomToken } from '../core/random.js';
import type { DeviceSecrets } from './device-secrets.js';
import { DuplicateSerialError, type NewOtpDevice, type OtpAlgorithm, type OtpDevice, type OtpDeviceStore, type OtpKind } from './storage.js';

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

type RecordUseChange = Parameters<OtpDeviceStore['recordUse']>[1];

const COLUMNS = 'id, username, kind, name, secret, algorithm, digits, period, counter, drift_steps, last_step, serial, confirmed, created_at, last_used_at';

export function createSqliteOtpDeviceStore(db: Database, secrets: DeviceSecrets): OtpDeviceStore {
  const insert = db.prepare(
    `INSERT INTO otp_devices (id, username, kind, name, secret, secret_key_id, algorithm, digits, period, counter, serial, confirmed, created_at)
     VALUES (@id, @username, @kind, @name, @secret, @keyId, @algorithm, @digits, @period, @counter, @serial, @confirmed, @createdAt)`,
  );
  const byId = db.prepare<[string], DeviceRow>(`SELECT ${COLUMNS} FROM otp_devices WHERE id = ?`);
  const byUser = db.prepare<[string], DeviceRow>(`SELECT ${COLUMNS} FROM otp_devices WHERE username = ? ORDER BY created_at, id`);
  const bySerial = db.prepare<[string], DeviceRow>(`SELECT ${COLUMNS} FROM otp_devices WHERE serial = ?`);
  const tokens = db.prepare<[], DeviceRow>(`SELECT ${COLUMNS} FROM otp_devices WHERE serial IS NOT NULL ORDER BY serial`);
  const rename = db.prepare<[string, string]>('UPDATE otp_devices SET name = ? WHERE id = ?');
  const confirm = db.prepare<[number, string]>('UPDATE otp_devices SET confirmed = 1, last_used_at = ? WHERE id = ? AND confirmed = 0');
  const remove = db.prepare<[string]>('DELETE FROM otp_devices WHERE id = ?');
  const assign = db.prepare<[string, string]>('UPDATE otp_devices SET username = ? WHERE serial = ? AND username IS NULL');
  // A token handed back loses its owner's name for it, but never its counter or replay floor.
  const unassign = db.prepare<[string]>('UPDATE otp_devices SET username = NULL, name = serial, last_used_at = NULL WHERE serial = ? AND username IS NOT NULL');
  const recordUseStatements = new Map<string, Statement>();

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

  const insertDevice = (device: NewOtpDevice, now: number): OtpDevice => {
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
      insert.run({ ...stored, secret: sealed, keyId, confirmed: confirmed ? 1 : 0 });
    } catch (error) {
      if (device.serial !== null && isUniqueViolation(error, 'otp_devices.serial')) throw new DuplicateSerialError(device.serial, 'stored');
      throw error;
    }
    return stored;
  };

  const importAll = db.transaction((batch: readonly NewOtpDevice[], now: number) => {
    for (const token of batch) {
      if (bySerial.get(token.serial!)) throw new DuplicateSerialError(token.serial!, 'stored');
      insertDevice(token, now);
    }
  });

  return {
    async create(device, now) {
      return insertDevice(device, now);
    },
    async get(id) {
      const row = byId.get(id);
      return row && toDevice(row);
    },
    async listForUser(username) {
      return byUser.all(username).map(toDevice);
    },
    async findBySerial(serial) {
      const row = bySerial.get(serial);
      return row && toDevice(row);
    },
    async listTokens() {
      return tokens.all().map(toDevice);
    },
    async rename(id, name) {
      return rename.run(name, id).changes === 1;
    },
    async confirm(id, now) {
      return confirm.run(now, id).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes === 1;
    },
    async recordUse(id, change, now) {
      const { sql, params } = recordUseQuery(id, change, now);
      let statement = recordUseStatements.get(sql);
      if (!statement) recordUseStatements.set(sql, (statement = db.prepare(sql)));
      return statement.run(...params).changes === 1;
    },
    async assign(serial, username) {
      return assign.run(username, serial).changes === 1;
    },
    async unassign(serial) {
      return unassign.run(serial).changes === 1;
    },
    async importTokens(batch, now) {
      const seen = new Set<string>();
      for (const token of batch) {
        if (typeof token.serial !== 'string' || token.serial.length === 0) throw new TypeError('every imported token needs a serial');
        if (seen.has(token.serial)) throw new DuplicateSerialError(token.serial, 'in-batch');
        seen.add(token.serial);
      }
      importAll.immediate(batch, now);
    },
  };
}

/**
 * The compare-and-set behind single use: the UPDATE matches only while the stored counter or
 * replay floor still holds the value the caller verified against, so of two racing
 * verifications (in one process or two) exactly one changes the row.
 */
function recordUseQuery(id: string, change: RecordUseChange, now: number): { sql: string; params: (string | number | null)[] } {
  const sets = ['last_used_at = ?'];
  const setParams: number[] = [now];
  const where = ['id = ?'];
  const whereParams: (string | number | null)[] = [id];
  const field = (column: string, value: number | undefined) => {
    if (value === undefined) return;
    if (!Number.isSafeInteger(value)) throw new RangeError(`${column} must be a safe integer, got ${value}`);
    sets.push(`${column} = ?`);
    setParams.push(value);
  };
  field('counter', change.counter);
  field('last_step', change.lastStep);
  field('drift_steps', change.driftSteps);
  if (change.expectedCounter !== undefined) {
    where.push('counter = ?');
    whereParams.push(change.expectedCounter);
  }
  if (change.expectedLastStep !== undefined) {
    where.push('last_step IS ?');
    whereParams.push(change.expectedLastStep);
  }
  if (where.length === 1) throw new TypeError('recordUse needs expectedCounter or expectedLastStep: an unconditional write is not single use');
  return { sql: `UPDATE otp_devices SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`, params: [...setParams, ...whereParams] };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string' && e.message.includes(column);
}
