import type { Database } from 'better-sqlite3';
import type { DeviceSecrets } from './device-secrets.js';

const BATCH = 200;

/** A sealed column: its table, the column and its key-id column, and the context it is sealed under. */
interface SealedColumn {
  what: string;
  table: string;
  column: string;
  keyColumn: string;
  context: (id: string) => string;
}

const SEALED: readonly SealedColumn[] = [
  { what: 'otp device', table: 'otp_devices', column: 'secret', keyColumn: 'secret_key_id', context: (id) => id },
  // Web Push subscriptions (capability URL and payload keys), sealed per phone (sqlite-push-devices.ts).
  { what: 'push device', table: 'push_devices', column: 'subscription', keyColumn: 'subscription_key_id', context: (id) => `push:${id}` },
];

/**
 * Re-seals every secret not under the current key (OTP seeds, push subscriptions), a batch per
 * transaction: a gateway running meanwhile waits at most one short batch for the write lock,
 * and an interrupted rotation resumes where it stopped when run again. Returns how many
 * secrets were rewritten.
 */
export function rotateSqliteSecrets(db: Database, secrets: DeviceSecrets, onProgress?: (done: number, total: number) => void): number {
  const current = secrets.currentKeyId;
  if (current === undefined) throw new Error('storage.encryption_keys is empty: there is no key to rotate to');
  const stale = (c: SealedColumn) => `${c.column} IS NOT NULL AND ${c.keyColumn} <> ?`;
  const batches = SEALED.map((c) => {
    const select = db.prepare<[string, number], { id: string; sealed: string }>(`SELECT id, ${c.column} AS sealed FROM ${c.table} WHERE ${stale(c)} ORDER BY id LIMIT ?`);
    const update = db.prepare<[string, string, string, string]>(`UPDATE ${c.table} SET ${c.column} = ?, ${c.keyColumn} = ? WHERE id = ? AND ${c.column} = ?`);
    return db.transaction(() => {
      const rows = select.all(current, BATCH);
      for (const row of rows) {
        let plaintext: Buffer;
        try {
          plaintext = secrets.open(c.context(row.id), row.sealed);
        } catch (error) {
          throw new Error(`${c.what} ${row.id}: ${(error as Error).message}`, { cause: error });
        }
        const { sealed, keyId } = secrets.seal(c.context(row.id), plaintext);
        plaintext.fill(0);
        // The write lock is held, so the row cannot have changed; a miss would loop forever.
        if (update.run(sealed, keyId, row.id, row.sealed).changes !== 1) throw new Error(`${c.what} ${row.id} changed during rotation`);
      }
      return rows.length;
    });
  });

  let total = SEALED.reduce((sum, c) => sum + db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${c.table} WHERE ${stale(c)}`).get(current)!.n, 0);
  let done = 0;
  for (const rotateBatch of batches) {
    for (;;) {
      const rewritten = rotateBatch.immediate();
      if (rewritten === 0) break;
      done += rewritten;
      total = Math.max(total, done); // rows written under an old key by another instance meanwhile
      onProgress?.(done, total);
    }
  }
  return done;
}
