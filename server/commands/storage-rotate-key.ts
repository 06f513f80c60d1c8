import { existsSync } from 'node:fs';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { openConfiguredStorage, storageOptionsFromConfig } from '../storage/storage-options.js';
import type { Storage } from '../storage/storage.js';
import type { CommandIo } from './check-config.js';

/**
 * `gatehouse storage rotate-key`: re-encrypts every stored secret under the first key of
 * storage.encryption_keys. Safe to run while gateways serve (each batch is a short
 * transaction) and to run again (it resumes; a second run reports 0).
 */
export async function runStorageRotateKey(configPath: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    io.stderr.write(`${configPath}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}\n`);
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const options = storageOptionsFromConfig(loaded.config.storage, configPath);
  const current = options.keys[0];
  if (!current) {
    io.stderr.write('storage.encryption_keys is empty: put the new key first in the list, then run this again\n');
    return 1;
  }
  // Creating an empty database here would hide a wrong path behind "0 re-encrypted".
  if (!loaded.config.storage.postgres && options.path !== ':memory:' && !existsSync(options.path)) {
    io.stderr.write(`${options.path}: no database there (storage.path); nothing was re-encrypted\n`);
    return 1;
  }
  let storage: Storage;
  try {
    storage = await openConfiguredStorage(loaded.config.storage, configPath, { logger: createLogger({ level: 'warn', destination: io.stderr }) });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  try {
    const count = await storage.rotateKeys((done, total) => io.stderr.write(`re-encrypting secrets: ${done}/${total}\n`));
    io.stdout.write(`${count} secret${count === 1 ? '' : 's'} re-encrypted under key "${current.id}".\n`);
    const old = options.keys.slice(1).map((k) => `"${k.id}"`);
    if (old.length > 0) {
      // An instance still configured with an old key first seals new secrets under it.
      io.stdout.write(`When every gateway instance runs with "${current.id}" first and a run reports 0, ${old.join(', ')} can be removed from storage.encryption_keys.\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`rotation stopped: ${(error as Error).message}\n`);
    return 1;
  } finally {
    storage.close();
  }
}
