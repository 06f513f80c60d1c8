import { existsSync } from 'node:fs';
import { createAuditLog } from '../audit/create-audit-log.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { createSilentLogger, type Logger } from '../core/logger.js';
import type { HashPolicy } from '../directory/password-hash.js';
import { openCommandDirectory } from '../directory/open-directory.js';
import { describeRedisTarget, redisOptionsFromConfig } from '../kv/redis-options.js';
import { createRedisKv } from '../kv/redis-kv.js';
import { createRegulator } from '../regulation/create-regulator.js';
import { createSessionStore } from '../session/session-store.js';
import { openConfiguredStorage, storageOptionsFromConfig } from '../storage/storage-options.js';
import type { AdminDeps } from '../admin/admin-deps.js';

export interface OpenedAdminDeps {
  deps: AdminDeps;
  /** Waits for audit deliveries, then closes Redis, the database and the users file. */
  close(): Promise<void>;
}

/**
 * What the admin commands act on, opened from the config file as the gateway opens it: the same
 * database, the users file (not watched), and the same Redis, so a revocation made here reaches
 * every running instance over its pub/sub channel. Throws an Error with a message for the
 * operator when something cannot be opened.
 */
export async function openAdminDeps(
  config: Config,
  configPath: string,
  /** `hashPolicy`: tests only, for a users file of cheap test hashes. */
  options: { logger?: Logger; hashPolicy?: HashPolicy } = {},
): Promise<OpenedAdminDeps> {
  const logger = options.logger ?? createSilentLogger();
  const clock = systemClock;
  if (config.session.store === 'memory' || !config.redis) {
    throw new Error('session.store is "memory": sessions and locks live inside the running gateway, where this command cannot reach them (use Redis)');
  }
  const storageOptions = storageOptionsFromConfig(config.storage, configPath);
  if (!config.storage.postgres && storageOptions.path !== ':memory:' && !existsSync(storageOptions.path))
    throw new Error(`${storageOptions.path}: no database there (storage.path)`);
  const directory = await openCommandDirectory(config, { logger, ...(options.hashPolicy ? { hashPolicy: options.hashPolicy } : {}) });
  const r = config.redis;
  const kv = createRedisKv({ logger }, redisOptionsFromConfig(r));
  try {
    await kv.connect();
  } catch (error) {
    directory.close();
    await kv.close().catch(() => undefined);
    throw new Error(`Redis (${describeRedisTarget(r)}) is not reachable: ${(error as Error).message}`);
  }
  const storage = await openConfiguredStorage(config.storage, configPath, { logger, clock });
  const sessions = createSessionStore(
    { kv, clock, logger },
    { idleTimeout: config.session.idle_timeout, absoluteTimeout: config.session.absolute_timeout, rememberMe: config.session.remember_me, cacheTtl: config.session.cache_ttl },
  );
  const audit = createAuditLog({ storage, logger, clock }, { config: config.audit });
  const regulator = createRegulator({ kv, clock, audit, endSessions: (username) => sessions.destroyAllForUser(username) }, config.regulation);
  return {
    deps: { storage, sessions, regulator, directory, audit, clock },
    async close() {
      await audit.flush();
      audit.close();
      await sessions.close();
      await kv.close();
      storage.close();
      directory.close();
    },
  };
}
