import type { Migration } from '../migrations.js';

/**
 * Accounts an administrator disabled in Gatehouse (on top of `disabled: true` in the users
 * file, which only the file's owner can write). A row exists only while disabled.
 */
export const accountStatesMigration: Migration = {
  version: 4,
  name: 'account-states',
  statements: [
    `CREATE TABLE account_states (
      username TEXT PRIMARY KEY,
      disabled_at BIGINT NOT NULL,
      disabled_by TEXT NOT NULL,
      reason TEXT
    )`,
  ],
};
