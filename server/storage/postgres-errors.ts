import { StoreUnavailableError } from '../core/errors.js';

/**
 * PostgreSQL errors that mean "the database cannot answer now": SQLSTATE classes 08
 * (connection), 53 (insufficient resources), 57 (operator intervention: shutdown, statement
 * timeout), 58 (system error), 40001/40P01 (serialization, deadlock), plus the driver's own
 * network and pool errors, which carry no SQLSTATE. As with SQLite, constraint and programming
 * errors stay as they are: they are bugs, not outages.
 */
const UNAVAILABLE_STATE = /^(08|53|57|58)|^40001$|^40P01$/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const DRIVER = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Query read timeout/;

export function toPostgresStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if ((code && (UNAVAILABLE_STATE.test(code) || NETWORK.has(code))) || DRIVER.test(message)) {
    return new StoreUnavailableError(`database: ${code ?? message}`, { cause: error });
  }
  return error;
}

/** Wraps every method of a store so outages reject as StoreUnavailableError. */
export function guardPostgresStore<T extends object>(store: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store)) {
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        throw toPostgresStoreError(error);
      }
    };
  }
  return guarded as T;
}

/** A unique violation on the given constraint (SQLSTATE 23505). */
export function isPostgresUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === constraint;
}
