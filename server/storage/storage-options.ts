import { dirname, resolve } from 'node:path';
import { decodeKey, type StorageConfig } from '../config/schema.js';
import type { SqliteStorageOptions } from './sqlite-storage.js';

/**
 * The SQLite options a loaded config asks for: the path relative to the config file's
 * folder (as every relative path in the config is), the keys decoded to bytes.
 */
export function storageOptionsFromConfig(storage: StorageConfig, configPath: string): SqliteStorageOptions {
  const path = storage.path === ':memory:' ? storage.path : resolve(dirname(resolve(configPath)), storage.path);
  const keys = storage.encryption_keys.map(({ id, key }) => {
    const bytes = decodeKey(key);
    if (!bytes) throw new RangeError(`storage.encryption_keys "${id}" is not a 32-byte key`); // the schema checked it already
    return { id, key: bytes };
  });
  return { path, keys };
}
