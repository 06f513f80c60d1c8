import type { Database } from 'better-sqlite3';
import type { SmsNumberStore, UserFactorState, UserStateStore } from './storage.js';

export function createSqliteSmsNumberStore(db: Database): SmsNumberStore {
  const get = db.prepare<[string], { username: string; number: string; created_at: number }>('SELECT username, number, created_at FROM sms_numbers WHERE username = ?');
  const upsert = db.prepare<[string, string, number]>(
    'INSERT INTO sms_numbers (username, number, created_at) VALUES (?, ?, ?) ON CONFLICT (username) DO UPDATE SET number = excluded.number, created_at = excluded.created_at',
  );
  const remove = db.prepare<[string]>('DELETE FROM sms_numbers WHERE username = ?');
  return {
    async get(username) {
      const row = get.get(username);
      return row && { username: row.username, number: row.number, createdAt: Number(row.created_at) };
    },
    async set(username, number, now) {
      upsert.run(username, number, now);
    },
    async remove(username) {
      return remove.run(username).changes === 1;
    },
  };
}

export function createSqliteUserStateStore(db: Database): UserStateStore {
  const get = db.prepare<[string], { username: string; last_factor_kind: string | null; last_device_id: string | null }>(
    'SELECT username, last_factor_kind, last_device_id FROM user_factor_state WHERE username = ?',
  );
  const upsert = db.prepare<[string, string, string | null]>(
    `INSERT INTO user_factor_state (username, last_factor_kind, last_device_id) VALUES (?, ?, ?)
     ON CONFLICT (username) DO UPDATE SET last_factor_kind = excluded.last_factor_kind, last_device_id = excluded.last_device_id`,
  );
  const reset = db.transaction((username: string) => {
    db.prepare('DELETE FROM otp_devices WHERE username = ? AND serial IS NULL').run(username);
    db.prepare('UPDATE otp_devices SET username = NULL, name = serial, last_used_at = NULL WHERE username = ? AND serial IS NOT NULL').run(username);
    db.prepare('DELETE FROM recovery_codes WHERE username = ?').run(username);
    // Outstanding enrollment codes go too: a reset usually follows a suspected compromise,
    // and a link sent before it must not enroll a factor after it.
    db.prepare('DELETE FROM enrollment_codes WHERE username = ?').run(username);
    db.prepare('DELETE FROM user_factor_state WHERE username = ?').run(username);
    // The handle goes with the credentials: a passkey left on an old device then names nobody.
    db.prepare('DELETE FROM webauthn_credentials WHERE username = ?').run(username);
    db.prepare('DELETE FROM webauthn_user_handles WHERE username = ?').run(username);
    db.prepare('DELETE FROM push_devices WHERE username = ?').run(username);
    db.prepare('DELETE FROM sms_numbers WHERE username = ?').run(username);
  });

  return {
    async get(username): Promise<UserFactorState | undefined> {
      const row = get.get(username);
      return row && { username: row.username, lastFactorKind: row.last_factor_kind, lastDeviceId: row.last_device_id };
    },
    async setLastUsed(username, kind, deviceId) {
      upsert.run(username, kind, deviceId);
    },
    async resetUser(username) {
      reset.immediate(username);
    },
  };
}
