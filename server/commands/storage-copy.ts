import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { copySqliteToPostgres } from '../storage/copy-storage.js';
import { postgresOptionsFromConfig } from '../storage/storage-options.js';
import type { CommandIo } from './check-config.js';

/**
 * `gatehouse storage copy --from FILE.db`: moves an existing SQLite database into the
 * PostgreSQL database that storage.postgres names. Run it with the gateways stopped (or
 * switched to PostgreSQL only after it finished): writes made to the SQLite file after the
 * copy are not carried over.
 */
export async function runStorageCopy(args: string[], env: Record<string, string | undefined>, io: CommandIo, now: () => number = Date.now): Promise<number> {
  let from: string | undefined;
  let configPath: string | undefined;
  try {
    const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { from: { type: 'string' }, config: { type: 'string', short: 'c' } } });
    from = values.from;
    configPath = values.config ?? env.GATEHOUSE_CONFIG;
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\nusage: gatehouse storage copy --from FILE.db [--config FILE]\n`);
    return 2;
  }
  if (!from || !configPath) {
    io.stderr.write('usage: gatehouse storage copy --from FILE.db [--config FILE]\n');
    return 2;
  }
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    io.stderr.write(`${configPath}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}\n`);
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const target = postgresOptionsFromConfig(loaded.config.storage, configPath);
  if (!target) {
    io.stderr.write('storage.postgres is not set: configure the PostgreSQL database to copy into first\n');
    return 1;
  }
  const source = resolve(from);
  if (!existsSync(source)) {
    io.stderr.write(`${source}: no database there\n`);
    return 1;
  }
  try {
    const report = await copySqliteToPostgres(source, target, {
      now: now(),
      onProgress: (table, done, total) => io.stderr.write(`${table}: ${done}/${total}\n`),
    });
    for (const { table, rows } of report.tables) io.stdout.write(`${table}: ${rows} rows copied, counts match\n`);
    io.stdout.write('copy complete: secrets were copied sealed, under the same keys; keep storage.encryption_keys as it is\n');
    return 0;
  } catch (error) {
    io.stderr.write(`copy failed, nothing was written to PostgreSQL: ${(error as Error).message}\n`);
    return 1;
  }
}
