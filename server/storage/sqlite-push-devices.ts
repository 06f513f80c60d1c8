import type { Database } from 'better-sqlite3';
import type { DeviceSecrets } from './device-secrets.js';
import type { PushDevice, PushDeviceStore } from './storage.js';

interface Row {
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

const COLUMNS =
  'id, username, name, public_key, subscription, otp_device_id, clock_offset_ms, created_at, last_used_at, last_seen_at, app_lock_credential_id, app_lock_public_key, app_lock_counter';

/** Sealed under its own context, so a subscription copied onto an OTP row (or another phone) does not open. */
const sealContext = (id: string) => `push:${id}`;

export function createSqlitePushDeviceStore(db: Database, secrets: DeviceSecrets, newId: () => string): PushDeviceStore {
  const insert = db.prepare(
    `INSERT INTO push_devices (id, username, name, public_key, subscription_key_id, subscription, otp_device_id, clock_offset_ms, created_at,
       app_lock_credential_id, app_lock_public_key, app_lock_counter)
     VALUES (@id, @username, @name, @publicKey, @keyId, @subscription, @otpDeviceId, 0, @createdAt, @lockId, @lockKey, @lockCounter)`,
  );
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM push_devices WHERE id = ?`);
  const byUser = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM push_devices WHERE username = ? ORDER BY created_at, id`);
  // The phone's offline codes carry its name too (lists of OTP devices, the audit trail): one change, both rows.
  const rename = db.transaction((id: string, name: string): boolean => {
    const row = byId.get(id);
    if (!row) return false;
    if (row.otp_device_id) db.prepare('UPDATE otp_devices SET name = ? WHERE id = ? AND username = ?').run(name, row.otp_device_id, row.username);
    return db.prepare('UPDATE push_devices SET name = ? WHERE id = ?').run(name, id).changes > 0;
  });
  const subscribe = db.prepare<[string | null, string | null, string]>('UPDATE push_devices SET subscription = ?, subscription_key_id = ? WHERE id = ?');
  const seen = db.prepare<[number, number, string]>('UPDATE push_devices SET clock_offset_ms = ?, last_seen_at = ? WHERE id = ?');
  const lockCounter = db.prepare<[number, string, number]>('UPDATE push_devices SET app_lock_counter = ? WHERE id = ? AND app_lock_counter = ?');
  const used = db.prepare<[number, number, string]>('UPDATE push_devices SET last_used_at = ?, last_seen_at = ? WHERE id = ?');
  const remove = db.transaction((id: string): boolean => {
    const row = byId.get(id);
    if (!row) return false;
    if (row.otp_device_id) db.prepare('DELETE FROM otp_devices WHERE id = ? AND username = ?').run(row.otp_device_id, row.username);
    return db.prepare('DELETE FROM push_devices WHERE id = ?').run(id).changes > 0;
  });

  const seal = (id: string, subscription: string | null) => {
    if (subscription === null) return { sealed: null, keyId: null };
    const { sealed, keyId } = secrets.seal(sealContext(id), Buffer.from(subscription, 'utf8'));
    return { sealed, keyId };
  };
  const toDevice = (row: Row): PushDevice => ({
    id: row.id,
    username: row.username,
    name: row.name,
    publicKey: Buffer.from(row.public_key, 'base64url'),
    subscription: row.subscription === null ? null : secrets.open(sealContext(row.id), row.subscription).toString('utf8'),
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

  return {
    async create(device, now) {
      const id = newId();
      const { sealed, keyId } = seal(id, device.subscription);
      insert.run({
        id,
        username: device.username,
        name: device.name,
        publicKey: device.publicKey.toString('base64url'),
        keyId,
        subscription: sealed,
        otpDeviceId: device.otpDeviceId,
        createdAt: now,
        lockId: device.appLock?.credentialId ?? null,
        lockKey: device.appLock ? device.appLock.publicKey.toString('base64url') : null,
        lockCounter: device.appLock?.counter ?? null,
      });
      return toDevice(byId.get(id)!);
    },
    async get(id) {
      const row = byId.get(id);
      return row && toDevice(row);
    },
    async listForUser(username) {
      return byUser.all(username).map(toDevice);
    },
    async rename(id, name) {
      return rename(id, name);
    },
    async updateSubscription(id, subscription) {
      const { sealed, keyId } = seal(id, subscription);
      return subscribe.run(sealed, keyId, id).changes > 0;
    },
    async recordSeen(id, clockOffsetMs, now) {
      return seen.run(Math.round(clockOffsetMs), now, id).changes > 0;
    },
    async recordUse(id, now) {
      return used.run(now, now, id).changes > 0;
    },
    async updateAppLockCounter(id, expected, counter) {
      return lockCounter.run(counter, id, expected).changes > 0;
    },
    async remove(id) {
      return remove.immediate(id);
    },
  };
}
