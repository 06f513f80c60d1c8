import type { Database } from 'better-sqlite3';
import type { DeviceSecrets } from './device-secrets.js';

const BATCH = 200;

/**
 * Re-seals every OTP secret not under the current key, a batch per transaction: a gateway
 * running meanwhile waits at most one short batch for the write lock, and an interrupted
 * rotation resumes where it stopped when run again. Returns how many secrets were rewritten.
 */
export function rotateSqliteSecrets(db: Database, secrets: DeviceSecrets, onProgress?: (done: number, total: number) => void): number {
  const current = secrets.currentKeyId;
  if (current === undefined) throw new Error('storage.encryption_keys is empty: there is no key to rotate to');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM otp_devices WHERE secret_key_id <> ?');
  const select = db.prepare<[string, number], { id: string; secret: string }>(
    'SELECT id, secret FROM otp_devices WHERE secret_key_id <> ? ORDER BY id LIMIT ?',
  );
  const update = db.prepare<[string, string, string, string]>('UPDATE otp_devices SET secret = ?, secret_key_id = ? WHERE id = ? AND secret = ?');
  const rotateBatch = db.transaction(() => {
    const rows = select.all(current, BATCH);
    for (const row of rows) {
      let plaintext: Buffer;
      try {
        plaintext = secrets.open(row.id, row.secret);
      } catch (error) {
        throw new Error(`otp device ${row.id}: ${(error as Error).message}`, { cause: error });
      }
      const { sealed, keyId } = secrets.seal(row.id, plaintext);
      plaintext.fill(0);
      // The write lock is held, so the row cannot have changed; a miss would loop forever.
      if (update.run(sealed, keyId, row.id, row.secret).changes !== 1) throw new Error(`otp device ${row.id} changed during rotation`);
    }
    return rows.length;
  });

  let total = count.get(current)!.n;
  let done = 0;
  for (;;) {
    const rewritten = rotateBatch.immediate();
    if (rewritten === 0) break;
    done += rewritten;
    total = Math.max(total, done); // rows written under an old key by another instance meanwhile
    onProgress?.(done, total);
  }
  return done;
}
