import type { Database } from 'better-sqlite3';
import type { AccountState, AccountStateStore } from './storage.js';

interface Row {
  username: string;
  disabled_at: number;
  disabled_by: string;
  reason: string | null;
}

const toState = (row: Row): AccountState => ({ username: row.username, disabledAt: row.disabled_at, disabledBy: row.disabled_by, reason: row.reason });

export function createSqliteAccountStateStore(db: Database): AccountStateStore {
  const get = db.prepare<[string], Row>('SELECT username, disabled_at, disabled_by, reason FROM account_states WHERE username = ?');
  const insert = db.prepare<[string, number, string, string | null]>(
    'INSERT INTO account_states (username, disabled_at, disabled_by, reason) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING',
  );
  const remove = db.prepare<[string]>('DELETE FROM account_states WHERE username = ?');
  const all = db.prepare<[], Row>('SELECT username, disabled_at, disabled_by, reason FROM account_states ORDER BY username');
  return {
    async get(username) {
      const row = get.get(username);
      return row && toState(row);
    },
    async disable(username, { actor, reason, now }) {
      insert.run(username, now, actor, reason);
    },
    async enable(username) {
      return remove.run(username).changes > 0;
    },
    async listDisabled() {
      return all.all().map(toState);
    },
  };
}
