import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one connection taken from the pool, and gives it back after.
 *
 * node-postgres's pool listens for a connection's 'error' event only while the connection is
 * idle in the pool; one taken out has no listener, and an 'error' event nobody listens to ends
 * the process. PostgreSQL ending the connection while it is held (a restart, a failover,
 * `pg_terminate_backend`, a cut network) — even during a statement, which fails as well — would
 * so stop the gateway: it did, at once, when PostgreSQL was stopped during sign-ins on a busy
 * machine (fault suite, postgres-stopped.int.test.ts). Here the event is heard, the statements
 * that needed the connection fail with it, and the broken connection is discarded instead of
 * going back to the pool.
 */
export async function withPoolClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost ??= error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    if (lost) {
      // Discarded; the listener stays for any late event from the closing socket.
      client.release(lost);
    } else {
      client.removeListener('error', onError);
      client.release();
    }
  }
}

/** Runs `work` in one transaction on one connection; rolls back on any error. */
export function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withPoolClient(pool, async (client) => {
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
