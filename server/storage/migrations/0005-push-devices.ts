import type { Migration } from '../migrations.js';

/**
 * Phones enrolled for push approval. The public key is the device's P-256 signing key (SPKI,
 * base64url): public. The Web Push subscription holds the push service's capability URL and
 * the payload keys, so it is sealed like an OTP seed (key id + ciphertext). The offline codes
 * of a phone are an ordinary TOTP device, linked by id.
 */
export const pushDevicesMigration: Migration = {
  version: 5,
  name: 'push-devices',
  statements: [
    `CREATE TABLE push_devices (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      name TEXT NOT NULL,
      public_key TEXT NOT NULL,
      subscription_key_id TEXT,
      subscription TEXT,
      otp_device_id TEXT,
      clock_offset_ms BIGINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT,
      last_seen_at BIGINT
    )`,
    `CREATE INDEX push_devices_username ON push_devices (username)`,
  ],
};
