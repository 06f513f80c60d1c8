import { StoreUnavailableError } from '../core/errors.js';

/**
 * SQLite result codes that mean "the database cannot answer now" (locked past the busy
 * timeout, disk full or failing, file gone): an outage, so the request fails closed with 503.
 * Constraint and programming errors stay as they are: they are bugs.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOLFS)/;

export function toStoreError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`database: ${code}`, { cause: error });
  }
  return error;
}

/** Wraps every method of a store so outages reject as StoreUnavailableError. */
export function guardStore<T extends object>(store: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store)) {
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        throw toStoreError(error);
      }
    };
  }
  return guarded as T;
}
