import type { Database } from 'better-sqlite3';
import { randomToken } from '../core/random.js';
import type { EnrollmentCode, EnrollmentCodeStore, EnrollmentMethod, RecoveryCode, RecoveryCodeStore } from './storage.js';

interface RecoveryRow {
  id: string;
  username: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

interface EnrollmentRow extends RecoveryRow {
  method: EnrollmentMethod;
  expires_at: number;
  issued_by: string;
}

export function createSqliteRecoveryCodeStore(db: Database): RecoveryCodeStore {
  const removeAll = db.prepare<[string]>('DELETE FROM recovery_codes WHERE username = ?');
  const insert = db.prepare<[string, string, string, number, number]>('INSERT INTO recovery_codes (id, username, code_hash, created_at, position) VALUES (?, ?, ?, ?, ?)');
  // position keeps the order the set was issued in; rowid only for rows from before it existed.
  const list = db.prepare<[string], RecoveryRow>('SELECT id, username, code_hash, created_at, used_at FROM recovery_codes WHERE username = ? ORDER BY created_at, position, rowid');
  const markUsed = db.prepare<[number, string]>('UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL');
  const replace = db.transaction((username: string, hashes: readonly string[], now: number) => {
    removeAll.run(username);
    hashes.forEach((hash, position) => insert.run(randomToken(16), username, hash, now, position));
  });

  return {
    async replaceSet(username, codeHashes, now) {
      replace.immediate(username, codeHashes, now);
    },
    async listForUser(username) {
      return list.all(username).map(toRecoveryCode);
    },
    async markUsed(id, now) {
      return markUsed.run(now, id).changes === 1;
    },
  };
}

export function createSqliteEnrollmentCodeStore(db: Database): EnrollmentCodeStore {
  const insert = db.prepare(
    `INSERT INTO enrollment_codes (id, username, method, code_hash, created_at, expires_at, issued_by)
     VALUES (@id, @username, @method, @codeHash, @createdAt, @expiresAt, @issuedBy)`,
  );
  const byHash = db.prepare<[string], EnrollmentRow>(
    'SELECT id, username, method, code_hash, created_at, expires_at, used_at, issued_by FROM enrollment_codes WHERE code_hash = ?',
  );
  // One statement: used-or-expired and redeemed cannot interleave between two instances.
  const redeem = db.prepare<[number, string, number]>('UPDATE enrollment_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?');
  const purge = db.prepare<[number]>('DELETE FROM enrollment_codes WHERE expires_at < ?');

  return {
    async create(code) {
      const stored: EnrollmentCode = {
        id: randomToken(16),
        username: code.username,
        method: code.method,
        codeHash: code.codeHash,
        createdAt: code.createdAt,
        expiresAt: code.expiresAt,
        usedAt: null,
        issuedBy: code.issuedBy,
      };
      insert.run(stored);
      return stored;
    },
    async findByHash(codeHash) {
      const row = byHash.get(codeHash);
      return row && { ...toRecoveryCode(row), method: row.method, expiresAt: row.expires_at, issuedBy: row.issued_by };
    },
    async redeem(id, now) {
      return redeem.run(now, id, now).changes === 1;
    },
    async purgeExpired(now) {
      return purge.run(now).changes;
    },
  };
}

function toRecoveryCode(row: RecoveryRow): RecoveryCode {
  return { id: row.id, username: row.username, codeHash: row.code_hash, createdAt: row.created_at, usedAt: row.used_at };
}
