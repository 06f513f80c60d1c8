import { parseArgs } from 'node:util';
import { createAuditLog } from '../audit/create-audit-log.js';
import { loadConfigFile } from '../config/load-config.js';
import { parseDuration } from '../core/duration.js';
import { createLogger } from '../core/logger.js';
import { resolveUser } from '../directory/directory.js';
import { openCommandDirectory } from '../directory/open-directory.js';
import { issueEnrollmentCode } from '../enrollment/enrollment-codes.js';
import { openConfiguredStorage } from '../storage/storage-options.js';
import type { CommandIo } from './check-config.js';

export const ENROLL_USAGE = 'usage: gatehouse enroll issue USERNAME [--config FILE] [--ttl 24h] [--by NAME]\n';

/**
 * `gatehouse enroll issue USERNAME [--ttl 24h] [--by NAME]`: a single-use code an administrator
 * hands to a user (the IT desk's "registration code"), so they can set up their first second
 * factor. Prints the code and where to enter it; the database keeps only its hash.
 */
export async function runEnrollCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo, now: () => number = Date.now): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, ttl: { type: 'string' }, by: { type: 'string', default: 'admin' } },
  });
  const [verb, username, ...extra] = positionals;
  const configPath = values.config ?? env.GATEHOUSE_CONFIG;
  if (verb !== 'issue' || !username || extra.length > 0 || !configPath) {
    io.stderr.write(ENROLL_USAGE);
    return 2;
  }
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const { config } = loaded;
  if (!config.enrollment.admin_link.enabled) {
    io.stderr.write('enrollment.admin_link is disabled in the config: no code was issued\n');
    return 1;
  }
  const ttl = values.ttl === undefined ? config.enrollment.admin_link.ttl : parseDuration(values.ttl);
  if (ttl === undefined || ttl <= 0 || ttl > 30 * 86400) {
    io.stderr.write(`--ttl "${values.ttl}" is not a duration between 1s and 30d\n`);
    return 2;
  }
  const logger = createLogger({ level: 'warn', destination: io.stderr });
  const directory = await openCommandDirectory(config, { logger });
  let user;
  try {
    user = await resolveUser(directory, username);
  } catch (error) {
    io.stderr.write(`${username}: the directory could not be asked (${(error as Error).message})\n`);
    return 1;
  } finally {
    directory.close();
  }
  if (!user) {
    io.stderr.write(`${username}: no such user (or disabled) in the directory\n`);
    return 1;
  }
  const storage = await openConfiguredStorage(config.storage, configPath, { logger });
  try {
    const { code, expiresAt } = await issueEnrollmentCode(storage, { username: user.username, method: 'admin', ttlSeconds: ttl, issuedBy: values.by, now: now() });
    const audit = createAuditLog({ storage, logger, clock: { now } });
    await audit.record({
      kind: 'enrollment.code_issued',
      subject: user.username,
      actor: `cli:${values.by}`,
      details: { method: 'admin', by: values.by },
      message: 'enrollment code issued',
    });
    audit.close();
    io.stdout.write(`Enrollment code for ${user.username}: ${code}\n`);
    io.stdout.write(`Valid once, until ${new Date(expiresAt).toISOString()}.\n`);
    io.stdout.write(`The user signs in at ${new URL('methods', config.server.portal_url).href} and enters it there.\n`);
    return 0;
  } finally {
    storage.close();
  }
}
