import type { Logger } from '../core/logger.js';
import { randomToken } from '../core/random.js';
import type { SessionUser } from '../session/session.js';
import type { Directory, DirectoryChange, FirstFactorResult, ImitationResult } from './directory.js';
import { createFailureTiming } from './ldap/failure-timing.js';
import type { LdapDirectory } from './ldap/ldap-directory.js';
import type { UsersFileDirectory } from './users-file.js';

const INVALID = Object.freeze({ ok: false, reason: 'invalid-credentials' } as const) satisfies FirstFactorResult;

/**
 * The users file and LDAP as one directory. The file wins: a name it holds (disabled or not)
 * is checked against the file only and never sent to LDAP, so its break-glass accounts work
 * while the directory is down and cannot be taken over from it. An LDAP account whose own
 * username is a name the file holds (reached through an alias such as a userPrincipalName) is
 * refused. A session remembers where its user came from and is only ever resolved there.
 *
 * With both, a name the file holds costs an argon2 check (a tenth of a second or more) and any
 * other name an LDAP search and bind (milliseconds): LDAP's failures are therefore padded to
 * what the file's typically take (measured once at start, then on each file failure), or an
 * unknown name would answer faster than a file name with a wrong password, and timing would
 * list the file's break-glass names.
 */
export function createCombinedDirectory(
  parts: { file?: UsersFileDirectory; ldap?: LdapDirectory },
  deps: { logger: Logger; now?: () => number; padLdapFailures?: boolean },
): Directory {
  const { file, ldap } = parts;
  const logger = deps.logger.child({ component: 'directory' });
  const now = deps.now ?? Date.now;
  const fileKnows = (username: string) => file?.knows(username) === true;
  const fileTiming = file && ldap && deps.padLdapFailures !== false ? createFailureTiming(now) : undefined;
  /** A file check's failure, timed: what LDAP's failures are padded to. */
  async function checkFile(username: string, password: string, clientIp: string | undefined): Promise<FirstFactorResult> {
    const startedAt = now();
    const result = await file!.verifyPassword(username, password, { clientIp });
    if (!result.ok && result.reason === 'invalid-credentials') fileTiming?.noteWrongPassword(startedAt);
    return result;
  }
  // Names no file holds, in a lane of their own: the time one failed argon2 check takes here. The
  // first check also makes the file's dummy hash, so only the second is timed.
  if (fileTiming) {
    const lane = `calibration-${randomToken(6)}`;
    const noName = () => `-${randomToken(12)}`;
    void file!
      .verifyPassword(noName(), randomToken(24), { clientIp: lane })
      .then(() => checkFile(noName(), randomToken(24), lane))
      .catch(() => undefined);
  }

  /** The file's own answer for a session of a file user; null when LDAP has a session of that name. */
  function fileSessionUser(user: SessionUser): SessionUser | null {
    return file?.findUser(user.username) ?? null;
  }

  function refuseShadowed(username: string | undefined): boolean {
    if (username === undefined || !fileKnows(username)) return false;
    logger.error({ username }, 'an LDAP account signs in as a name the users file holds; refused (the file wins)');
    return true;
  }

  return {
    async verifyPassword(username, password, options) {
      // The file's names are already what regulation counts (ASCII, lower-cased).
      if (fileKnows(username) || !ldap) return file ? checkFile(username, password, options?.clientIp) : INVALID;
      const startedAt = now();
      const result = await ldap.verifyPassword(username, password, options);
      if (!result.ok && result.reason === 'busy') return result;
      const answer = refuseShadowed(result.ok ? result.user.username : result.username) ? INVALID : result;
      if (!answer.ok && answer.reason === 'invalid-credentials') await fileTiming?.pad(startedAt);
      return answer;
    },
    async imitateVerify(username, options): Promise<ImitationResult> {
      if (fileKnows(username) || !ldap) {
        // The file asks no server: checking (and discarding) costs what a real check costs, in the caller's lane.
        const result = file ? await checkFile(username, 'x'.repeat(16), options?.clientIp) : undefined;
        return result && !result.ok && result.reason === 'busy' ? result : INVALID;
      }
      const startedAt = now();
      const result = await ldap.imitateVerify(username, options);
      if (result.reason !== 'busy') await fileTiming?.pad(startedAt);
      return result;
    },
    findUser(username) {
      if (fileKnows(username) || !ldap) return file?.findUser(username);
      return ldap.findUser(username);
    },
    peekSessionUser(user) {
      if (user.source !== 'ldap') return fileSessionUser(user);
      if (!ldap || fileKnows(user.username)) return null;
      return ldap.peekSessionUser(user);
    },
    async loadSessionUser(user) {
      if (user.source !== 'ldap') return fileSessionUser(user);
      if (!ldap || fileKnows(user.username)) return null;
      return ldap.loadSessionUser(user);
    },
    async lookupUser(username) {
      if (fileKnows(username) || !ldap) return file?.findUser(username);
      const user = await ldap.lookupUser(username);
      return user && !refuseShadowed(user.username) ? user : undefined;
    },
    onChange(listener: (change: DirectoryChange) => void) {
      const stops = [file?.onChange(listener), ldap?.onChange(listener)];
      return () => stops.forEach((stop) => stop?.());
    },
    ...(file ? { listUsers: () => file.listUsers(), usersFileStatus: () => file.reloadStatus() } : {}),
    close() {
      file?.close();
      ldap?.close();
    },
  };
}
