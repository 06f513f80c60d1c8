import { createSilentLogger } from '../../core/logger.js';
import type { SecretKey } from '../secret-box.js';
import { openSqliteStorage } from '../sqlite-storage.js';
import type { Storage } from '../storage.js';

/** A fixed key for tests only: never configure it. */
export const TEST_STORAGE_KEY: SecretKey = { id: 'test', key: Buffer.alloc(32, 0x5a) };

/** A real (SQLite, in memory) storage for unit tests: same SQL, same sealing, nothing on disk. */
export function openTestStorage(keys: readonly SecretKey[] = [TEST_STORAGE_KEY]): Storage {
  return openSqliteStorage({ path: ':memory:', keys }, { logger: createSilentLogger() });
}
