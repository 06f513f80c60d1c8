import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import type { Kv } from '../kv/kv.js';
import { createCombinedDirectory } from './combined-directory.js';
import type { Directory } from './directory.js';
import { createHashQueue, createLaneCounts, type HashQueue } from './hash-queue.js';
import { hashPolicyOf, type HashPolicy, type PasswordHasher } from './password-hash.js';
import type { LdapDirectory } from './ldap/ldap-directory.js';
import { createUsersFileDirectory, type UsersFileDirectory } from './users-file.js';

/**
 * The directory the config describes: the users file, LDAP, or both (the file wins on a name).
 * Throws UsersFileError or LdapSettingsError with every problem when either cannot be used.
 * LDAP needs the shared store (its users' records live there) and, to stop refreshing users
 * who signed out, a way to ask whether a user still has sessions. The users file's checks
 * take turns in `hashQueue` (argon2's cores); LDAP's in a queue of their own with the same
 * lanes and limits (authentication.password_checks), as wide as its pool, and an address's
 * checks in both count against one per-address limit.
 */
export async function openDirectory(
  config: Config,
  deps: {
    logger: Logger;
    kv: Kv;
    now: () => number;
    hashQueue?: HashQueue;
    /** Tests: a cheap policy instead of the configured profile. */
    hashPolicy?: HashPolicy;
    hasher?: PasswordHasher;
    hasSessions?: (username: string) => Promise<boolean>;
  },
  options: { watch?: boolean; refresh?: boolean } = {},
): Promise<Directory> {
  const auth = config.authentication;
  const checks = auth.password_checks;
  // One count per address across both queues: "busy" must not tell a file name from another.
  const laneCounts = createLaneCounts();
  let file: UsersFileDirectory | undefined;
  if (auth.users_file !== undefined) {
    const hashQueue =
      deps.hashQueue ??
      createHashQueue({ concurrency: checks.concurrency, perLane: checks.per_address, maxWaiting: checks.max_waiting, maxWaitMs: checks.max_wait * 1000, laneCounts });
    file = await createUsersFileDirectory(
      { logger: deps.logger, hashQueue, now: deps.now, hashPolicy: deps.hashPolicy ?? hashPolicyOf(auth.password_hash), ...(deps.hasher ? { hasher: deps.hasher } : {}) },
      { path: auth.users_file, watch: options.watch ?? auth.watch },
    );
  }
  let ldap: LdapDirectory | undefined;
  if (auth.ldap) {
    try {
      // Loaded only when configured: ldapts and its parsers are ≈ 2 MB of heap a gateway with a
      // users file alone never uses (BENCHMARKS.md, "Where the memory goes").
      const [{ resolveLdapSettings }, { createLdapDirectory }] = await Promise.all([import('./ldap/ldap-settings.js'), import('./ldap/ldap-directory.js')]);
      const settings = resolveLdapSettings(auth.ldap);
      if (settings.tls.insecureSkipVerify)
        deps.logger.warn('authentication.ldap.tls.insecure_skip_verify is on: certificates are not checked, and anyone on the path can read every password');
      const checkQueue = createHashQueue({
        concurrency: settings.poolSize,
        perLane: checks.per_address,
        maxWaiting: checks.max_waiting,
        maxWaitMs: checks.max_wait * 1000,
        laneCounts,
      });
      ldap = createLdapDirectory(
        { logger: deps.logger, kv: deps.kv, now: deps.now, checkQueue },
        {
          settings,
          mirrorTtlMs: config.session.cache_ttl * 1000,
          recordTtlSeconds: Math.max(config.session.absolute_timeout, config.session.remember_me) + auth.ldap.refresh_interval,
          ...(deps.hasSessions ? { hasSessions: deps.hasSessions } : {}),
          refresh: options.refresh ?? true,
        },
      );
    } catch (error) {
      file?.close();
      throw error;
    }
  }
  // A command signs nobody in: it has no failures to pad, so it measures no file check either.
  return createCombinedDirectory({ ...(file ? { file } : {}), ...(ldap ? { ldap } : {}) }, { logger: deps.logger, now: deps.now, padLdapFailures: options.refresh !== false });
}

/**
 * The directory for a one-shot command: the users file unwatched, LDAP without refreshing and
 * with its user records kept in memory (a command signs nobody in). LDAP users are found by
 * lookupUser, which searches the server.
 */
export function openCommandDirectory(config: Config, deps: { logger: Logger; hashPolicy?: HashPolicy }): Promise<Directory> {
  const kv = createMemoryKv({ clock: systemClock }, { keyPrefix: 'gatehouse-command:' });
  return openDirectory(config, { logger: deps.logger, kv, now: Date.now, ...(deps.hashPolicy ? { hashPolicy: deps.hashPolicy } : {}) }, { watch: false, refresh: false });
}
