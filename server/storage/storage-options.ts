import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decodeKey, type StorageConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { PostgresStorageOptions } from './postgres-storage.js';
import { openSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
import type { Storage } from './storage.js';

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

/** The PostgreSQL options a loaded config asks for, or undefined for the embedded SQLite file. */
export function postgresOptionsFromConfig(storage: StorageConfig, configPath: string): PostgresStorageOptions | undefined {
  const pg = storage.postgres;
  if (!pg) return undefined;
  const { keys } = storageOptionsFromConfig(storage, configPath);
  const caFile = pg.tls?.ca_file === undefined ? undefined : resolve(dirname(resolve(configPath)), pg.tls.ca_file);
  return {
    url: pg.url,
    ...(pg.password !== undefined ? { password: pg.password } : {}),
    ...(caFile !== undefined ? { tlsCa: readFileSync(caFile, 'utf8') } : pg.tls ? { tls: true } : {}),
    poolSize: pg.pool_size,
    statementTimeoutMs: pg.statement_timeout * 1000,
    keys,
  };
}

/**
 * The storage the config names: PostgreSQL when `storage.postgres` is set, else the SQLite file.
 * `mustExist`: a command that only reads refuses to create an empty SQLite file by mistake.
 */
export async function openConfiguredStorage(
  storage: StorageConfig,
  configPath: string,
  deps: { logger: Logger; clock?: Clock },
  options: { mustExist?: boolean } = {},
): Promise<Storage> {
  const postgres = postgresOptionsFromConfig(storage, configPath);
  if (postgres) return (await import('./postgres-storage.js')).openPostgresStorage(postgres, deps);
  const sqlite = storageOptionsFromConfig(storage, configPath);
  if (options.mustExist && sqlite.path !== ':memory:' && !existsSync(sqlite.path)) throw new Error(`${sqlite.path}: no database there (storage.path)`);
  return openSqliteStorage(sqlite, deps);
}
