import type { Database } from 'better-sqlite3';
import { DuplicateCredentialError, type WebAuthnCredential, type WebAuthnCredentialStore } from './storage.js';

interface CredentialRow {
  id: string;
  username: string;
  user_handle: string;
  public_key: string;
  counter: number;
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backup_state: number;
  user_verified: number;
  discoverable: number | null;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

const COLUMNS = 'id, username, user_handle, public_key, counter, transports, aaguid, backup_eligible, backup_state, user_verified, discoverable, name, created_at, last_used_at';

export function createSqliteWebAuthnCredentialStore(db: Database): WebAuthnCredentialStore {
  const insert = db.prepare(
    `INSERT INTO webauthn_credentials (${COLUMNS})
     VALUES (@id, @username, @userHandle, @publicKey, @counter, @transports, @aaguid, @backupEligible, @backupState, @userVerified, @discoverable, @name, @createdAt, NULL)`,
  );
  const byId = db.prepare<[string], CredentialRow>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE id = ?`);
  const byUser = db.prepare<[string], CredentialRow>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE username = ? ORDER BY created_at, id`);
  const handleOf = db.prepare<[string], { user_handle: string }>('SELECT user_handle FROM webauthn_user_handles WHERE username = ?');
  const userOf = db.prepare<[string], { username: string }>('SELECT username FROM webauthn_user_handles WHERE user_handle = ?');
  // ON CONFLICT DO NOTHING (not INSERT OR IGNORE): PostgreSQL reads it the same way, and two
  // instances making a first handle at once both end up reading the one that was stored.
  const insertHandle = db.prepare<[string, string]>('INSERT INTO webauthn_user_handles (username, user_handle) VALUES (?, ?) ON CONFLICT (username) DO NOTHING');
  const recordUse = db.prepare<[number, number, number, string, number]>(
    'UPDATE webauthn_credentials SET counter = ?, backup_state = ?, last_used_at = ? WHERE id = ? AND counter = ?',
  );
  const rename = db.prepare<[string, string]>('UPDATE webauthn_credentials SET name = ? WHERE id = ?');
  const remove = db.prepare<[string]>('DELETE FROM webauthn_credentials WHERE id = ?');

  return {
    async create(credential, now) {
      checkCounter(credential.counter);
      const stored: WebAuthnCredential = {
        ...credential,
        publicKey: Buffer.from(credential.publicKey),
        transports: [...credential.transports],
        createdAt: now,
        lastUsedAt: null,
      };
      try {
        insert.run({
          ...stored,
          publicKey: stored.publicKey.toString('base64url'),
          transports: JSON.stringify(stored.transports),
          backupEligible: flag(stored.backupEligible),
          backupState: flag(stored.backupState),
          userVerified: flag(stored.userVerified),
          discoverable: stored.discoverable === null ? null : flag(stored.discoverable),
        });
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateCredentialError(credential.id);
        throw error;
      }
      return stored;
    },
    async get(id) {
      const row = byId.get(id);
      return row && toCredential(row);
    },
    async listForUser(username) {
      return byUser.all(username).map(toCredential);
    },
    async userHandleFor(username, create) {
      const existing = handleOf.get(username);
      if (existing) return existing.user_handle;
      insertHandle.run(username, create());
      return handleOf.get(username)!.user_handle;
    },
    async findUserByHandle(userHandle) {
      return userOf.get(userHandle)?.username;
    },
    async recordUse(id, change, now) {
      checkCounter(change.counter);
      checkCounter(change.expectedCounter);
      return recordUse.run(change.counter, flag(change.backupState), now, id, change.expectedCounter).changes === 1;
    },
    async rename(id, name) {
      return rename.run(name, id).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes === 1;
    },
  };
}

function toCredential(row: CredentialRow): WebAuthnCredential {
  return {
    id: row.id,
    username: row.username,
    userHandle: row.user_handle,
    publicKey: Buffer.from(row.public_key, 'base64url'),
    counter: row.counter,
    transports: JSON.parse(row.transports) as string[],
    aaguid: row.aaguid,
    backupEligible: row.backup_eligible === 1,
    backupState: row.backup_state === 1,
    userVerified: row.user_verified === 1,
    discoverable: row.discoverable === null ? null : row.discoverable === 1,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

const flag = (value: boolean) => (value ? 1 : 0);

/** The signature counter is 32 bits unsigned in authenticator data. */
function checkCounter(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`a signature counter must be 0..2^32-1, got ${value}`);
}
