import { DirectoryUnavailableError } from '../../core/errors.js';
import { ConnectionLostError, type LdapConnection } from './ldap-connection.js';

export interface ConnectionPool {
  /**
   * Runs `work` on a connection of the pool, opening one when none is idle and the pool is not
   * full, else waiting up to `waitMs` for one. A connection found closed before anything was
   * sent is replaced and the work tried once more.
   */
  use<T>(work: (connection: LdapConnection) => Promise<T>): Promise<T>;
  /** Connections open now, busy or idle. */
  readonly size: number;
  close(): void;
}

/**
 * A few long-lived connections, so that a sign-in costs LDAP round trips, not TCP and TLS
 * handshakes. Idle connections older than `maxIdleMs` are closed rather than reused: servers
 * drop idle connections (Active Directory after 15 minutes), and a dropped one costs a retry.
 */
export function createConnectionPool(options: { open: () => Promise<LdapConnection>; size: number; waitMs: number; maxIdleMs?: number; now?: () => number }): ConnectionPool {
  const now = options.now ?? Date.now;
  const maxIdleMs = options.maxIdleMs ?? 60_000;
  const idle: Array<{ connection: LdapConnection; since: number }> = [];
  const waiting: Array<(connection: LdapConnection | undefined) => void> = [];
  let open = 0;
  let closed = false;

  async function acquire(): Promise<LdapConnection> {
    if (closed) throw new DirectoryUnavailableError('the LDAP directory is closed');
    while (idle.length > 0) {
      const { connection, since } = idle.pop()!;
      if (connection.usable && now() - since < maxIdleMs) return connection;
      discard(connection);
    }
    if (open < options.size) {
      open++;
      try {
        return await options.open();
      } catch (error) {
        open--;
        handOn();
        throw error;
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(take), 1);
        reject(new DirectoryUnavailableError(`no LDAP connection free within ${options.waitMs} ms`));
      }, options.waitMs);
      const take = (connection: LdapConnection | undefined) => {
        clearTimeout(timer);
        if (connection) resolve(connection);
        else acquire().then(resolve, reject);
      };
      waiting.push(take);
    });
  }

  /** A slot was freed without a connection: the next waiter opens its own. */
  function handOn(): void {
    waiting.shift()?.(undefined);
  }

  function release(connection: LdapConnection): void {
    if (closed || !connection.usable) return discard(connection);
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else idle.push({ connection, since: now() });
  }

  function discard(connection: LdapConnection): void {
    connection.close();
    open--;
    if (!closed) handOn();
  }

  async function run<T>(work: (connection: LdapConnection) => Promise<T>): Promise<T> {
    const connection = await acquire();
    try {
      return await work(connection);
    } finally {
      release(connection);
    }
  }

  return {
    async use(work) {
      try {
        return await run(work);
      } catch (error) {
        if (!(error instanceof ConnectionLostError)) throw error;
        try {
          return await run(work);
        } catch (again) {
          if (again instanceof ConnectionLostError) throw new DirectoryUnavailableError('LDAP connections keep closing', { cause: again });
          throw again;
        }
      }
    },
    get size() {
      return open;
    },
    close() {
      closed = true;
      for (const { connection } of idle.splice(0)) connection.close();
      for (const waiter of waiting.splice(0)) waiter(undefined);
    },
  };
}
