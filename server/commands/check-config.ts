import { loadConfigFile } from '../config/load-config.js';
import { createUsersFileDirectory } from '../directory/users-file.js';
import { createSilentLogger } from '../core/logger.js';
import { describeRedisTarget } from '../kv/redis-options.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Validates the config file and the users file it names; prints every error, exits non-zero on any. */
export async function runCheckConfig(path: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const result = loadConfigFile(path, env);
  if (!result.ok) {
    io.stderr.write(`${path}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    for (const error of result.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  try {
    const directory = await createUsersFileDirectory({ logger: createSilentLogger() }, { path: result.config.authentication.users_file, watch: false });
    directory.close();
  } catch (error) {
    io.stderr.write(`${result.config.authentication.users_file}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`${path}: OK (${result.config.sites.length} sites, ${result.config.access_control.rules.length} rules)\n`);
  // Where sessions will live, as read: a sentinel list is easy to get subtly wrong.
  if (result.config.session.store === 'redis' && result.config.redis) io.stdout.write(`  redis: ${describeRedisTarget(result.config.redis)}\n`);
  return 0;
}
