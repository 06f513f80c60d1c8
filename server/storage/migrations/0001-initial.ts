import type { Migration } from '../migrations.js';

/**
 * Written for SQLite and PostgreSQL alike: TEXT and BIGINT (times in milliseconds outgrow
 * PostgreSQL's 32-bit INTEGER), INTEGER 0/1 for flags, no AUTOINCREMENT, no SQLite-only types.
 * Secrets are TEXT sealed by the secret box; `secret_key_id` repeats the key id the sealed
 * value carries so start-up and rotation can ask "which keys are in use" without decrypting.
 */
export const initialMigration: Migration = {
  version: 1,
  name: 'initial',
  statements: [
    `CREATE TABLE otp_devices (
      id TEXT PRIMARY KEY,
      username TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('totp', 'hotp')),
      name TEXT NOT NULL,
      secret TEXT NOT NULL,
      secret_key_id TEXT NOT NULL,
      algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
      digits INTEGER NOT NULL CHECK (digits IN (6, 8)),
      period INTEGER NOT NULL CHECK (period > 0),
      counter BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0),
      drift_steps INTEGER NOT NULL DEFAULT 0,
      last_step BIGINT,
      serial TEXT UNIQUE,
      confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
      created_at BIGINT NOT NULL,
      last_used_at BIGINT
    )`,
    `CREATE INDEX otp_devices_username ON otp_devices (username)`,
    `CREATE INDEX otp_devices_secret_key_id ON otp_devices (secret_key_id)`,
    `CREATE TABLE recovery_codes (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      code_hash TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      used_at BIGINT
    )`,
    `CREATE INDEX recovery_codes_username ON recovery_codes (username)`,
    `CREATE TABLE enrollment_codes (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      method TEXT NOT NULL CHECK (method IN ('email', 'admin')),
      code_hash TEXT NOT NULL UNIQUE,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      used_at BIGINT,
      issued_by TEXT NOT NULL
    )`,
    `CREATE INDEX enrollment_codes_username ON enrollment_codes (username)`,
    `CREATE INDEX enrollment_codes_expires_at ON enrollment_codes (expires_at)`,
    `CREATE TABLE user_factor_state (
      username TEXT PRIMARY KEY,
      last_factor_kind TEXT,
      last_device_id TEXT
    )`,
  ],
};
