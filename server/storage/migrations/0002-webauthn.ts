import type { Migration } from '../migrations.js';

/**
 * WebAuthn credentials and the user handles they were registered under. Nothing here is
 * secret (public keys, counters), so nothing is sealed. The public key is TEXT (base64url)
 * rather than BLOB so the same statement runs on PostgreSQL. The handle table is separate
 * from the credentials because a user keeps one handle across all their credentials: a
 * passkey names its user by handle, and a handle must not change under it.
 */
export const webauthnMigration: Migration = {
  version: 2,
  name: 'webauthn',
  statements: [
    `CREATE TABLE webauthn_user_handles (
      username TEXT PRIMARY KEY,
      user_handle TEXT NOT NULL UNIQUE
    )`,
    `CREATE TABLE webauthn_credentials (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      user_handle TEXT NOT NULL,
      public_key TEXT NOT NULL,
      counter BIGINT NOT NULL CHECK (counter >= 0),
      transports TEXT NOT NULL,
      aaguid TEXT NOT NULL,
      backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
      backup_state INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
      user_verified INTEGER NOT NULL CHECK (user_verified IN (0, 1)),
      discoverable INTEGER CHECK (discoverable IN (0, 1)),
      name TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT
    )`,
    `CREATE INDEX webauthn_credentials_username ON webauthn_credentials (username)`,
  ],
};
