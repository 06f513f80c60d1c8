import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { createSilentLogger } from '../core/logger.js';
import { openLdapConnection } from '../directory/ldap/ldap-connection.js';
import { LdapSettingsError, resolveLdapSettings, type LdapSettings } from '../directory/ldap/ldap-settings.js';
import { createUsersFileDirectory } from '../directory/users-file.js';
import { describeRedisTarget, redisOptionsFromConfig } from '../kv/redis-options.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Validates the config file, the users file and the LDAP section it names; prints every error,
 * exits non-zero on any. With `connect`, also connects to each LDAP server and binds as the
 * service account. Warnings (certificates not checked) are printed but do not fail.
 */
export async function runCheckConfig(
  path: string,
  env: Record<string, string | undefined>,
  io: CommandIo,
  options: { connect?: boolean; now?: () => number } = {},
): Promise<number> {
  const result = loadConfigFile(path, env);
  if (!result.ok) {
    io.stderr.write(`${path}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    for (const error of result.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const { authentication } = result.config;
  if (authentication.users_file !== undefined) {
    try {
      const directory = await createUsersFileDirectory({ logger: createSilentLogger() }, { path: authentication.users_file, watch: false });
      directory.close();
    } catch (error) {
      io.stderr.write(`${authentication.users_file}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  let ldap: LdapSettings | undefined;
  if (authentication.ldap) {
    try {
      ldap = resolveLdapSettings(authentication.ldap);
    } catch (error) {
      if (!(error instanceof LdapSettingsError)) throw error;
      io.stderr.write(`${path}: ${error.errors.length} error${error.errors.length === 1 ? '' : 's'}\n`);
      for (const message of error.errors) io.stderr.write(`  ${message}\n`);
      return 1;
    }
    if (ldap.tls.insecureSkipVerify) {
      io.stderr.write(
        'warning: authentication.ldap.tls.insecure_skip_verify is true: LDAP server certificates are not checked, so anyone on the network path can read every password\n',
      );
    }
  }
  if (result.config.session.store === 'redis' && result.config.redis?.tls) {
    try {
      redisOptionsFromConfig(result.config.redis);
    } catch (error) {
      io.stderr.write(`${path}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  for (const warning of sentCodeWarnings(result.config)) io.stderr.write(`warning: ${warning}\n`);
  let failed = false;
  if (options.connect && ldap) {
    const now = options.now ?? Date.now;
    for (const url of ldap.urls) {
      const started = now();
      try {
        const connection = await openLdapConnection({ ...ldap, urls: [url] }, { logger: createSilentLogger() });
        connection.close();
        io.stdout.write(`${url}: connected and bound as ${ldap.bindDn} (${now() - started} ms)\n`);
      } catch (error) {
        failed = true;
        io.stderr.write(`${url}: FAILED (${now() - started} ms): ${(error as Error).message}\n`);
      }
    }
  }
  if (failed) return 1;
  io.stdout.write(
    `${path}: OK (${result.config.sites.length} sites, ${result.config.access_control.rules.length} rules${ldap ? `, LDAP ${ldap.implementation} at ${ldap.urls.length} URL${ldap.urls.length === 1 ? '' : 's'}` : ''})\n`,
  );
  // Where sessions will live, as read: a sentinel list is easy to get subtly wrong.
  if (result.config.session.store === 'redis' && result.config.redis) io.stdout.write(`  redis: ${describeRedisTarget(result.config.redis)}\n`);
  return 0;
}

/**
 * Where email or SMS codes count as the second factor: NIST SP 800-63B treats SMS as a restricted
 * authenticator and email as no authenticator at AAL2, so each such rule is named, for the
 * security team to confirm. A two_factor rule without `factors` accepts every enabled factor.
 */
export function sentCodeWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const enabled = { email_otp: config.second_factors.email_otp.enabled, sms_otp: config.second_factors.sms_otp.enabled };
  config.access_control.rules.forEach((rule, i) => {
    if (rule.policy !== 'two_factor') return;
    for (const kind of ['sms_otp', 'email_otp'] as const) {
      const listed = rule.factors?.includes(kind) ?? false;
      if (!listed && (rule.factors !== undefined || !enabled[kind])) continue;
      const why =
        kind === 'sms_otp'
          ? 'SMS codes are a restricted authenticator (NIST SP 800-63B: SIM swap, number porting, interception)'
          : 'email codes are not an authenticator at AAL2 (NIST SP 800-63B): whoever reads the mailbox passes';
      const how = listed ? 'lists it in factors' : 'has no factors list, so it accepts every enabled factor';
      warnings.push(
        `access_control.rules[${i}] (${rule.domain.join(', ')}) accepts ${kind}: ${why}; the rule ${how}${enabled[kind] ? '' : ` (second_factors.${kind} is not enabled yet)`}`,
      );
    }
  });
  return warnings;
}
