import type { Migration } from '../migrations.js';

/**
 * The place of each recovery code in the set it was issued in. SQLite kept the order by rowid,
 * which PostgreSQL does not have (a row's ctid moves when it is updated): a set is listed in
 * the order the user was shown it on both. Rows from before this version are 0 and fall back
 * to rowid on SQLite.
 */
export const recoveryCodePositionMigration: Migration = {
  version: 6,
  name: 'recovery-code-position',
  statements: [`ALTER TABLE recovery_codes ADD COLUMN position INTEGER NOT NULL DEFAULT 0`],
};
