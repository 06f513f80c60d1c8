import type { Migration } from '../migrations.js';

/**
 * The phone app lock (second_factors.push.require_user_verification): a WebAuthn credential made
 * on the phone with user verification, for the companion's origin, whose assertion must come
 * with each approval. Its id and public key are public; the counter guards against a cloned
 * authenticator. Null on phones enrolled without it.
 */
export const pushAppLockMigration: Migration = {
  version: 7,
  name: 'push-app-lock',
  statements: [
    'ALTER TABLE push_devices ADD COLUMN app_lock_credential_id TEXT',
    'ALTER TABLE push_devices ADD COLUMN app_lock_public_key TEXT',
    'ALTER TABLE push_devices ADD COLUMN app_lock_counter BIGINT',
  ],
};
