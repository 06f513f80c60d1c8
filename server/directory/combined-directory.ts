import type { Logger } from '../core/logger.js';
import type { SessionUser } from '../session/session.js';
import type { Directory, DirectoryChange, FirstFactorResult, ImitationResult } from './directory.js';
import type { LdapDirectory } from './ldap/ldap-directory.js';
import type { UsersFileDirectory } from './users-file.js';

const INVALID = Object.freeze({ ok: false, reason: 'invalid-credentials' } as const) satisfies FirstFactorResult;

/**
 * The users file and LDAP as one directory. The file wins: a name it holds (disabled or not)
 * is checked against the file only and never sent to LDAP, so its break-glass accounts work
 * while the directory is down and cannot be taken over from it. An LDAP account whose own
 * username is a name the file holds (reached through an alias such as a userPrincipalName) is
 * refused. A session remembers where its user came from and is only ever resolved there.
 */
export function createCombinedDirectory(parts: { file?: UsersFileDirectory; ldap?: LdapDirectory }, deps: { logger: Logger }): Directory {
  const { file, ldap } = parts;
  const logger = deps.logger.child({ component: 'directory' });
  const fileKnows = (username: string) => file?.knows(username) === true;

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
      if (fileKnows(username) || !ldap) return file ? file.verifyPassword(username, password, { clientIp: options?.clientIp }) : INVALID;
      const result = await ldap.verifyPassword(username, password, options);
      if (!result.ok && result.reason === 'busy') return result;
      return refuseShadowed(result.ok ? result.user.username : result.username) ? INVALID : result;
    },
    async imitateVerify(username, options): Promise<ImitationResult> {
      if (fileKnows(username) || !ldap) {
        // The file asks no server: checking (and discarding) costs what a real check costs, in the caller's lane.
        const result = await file?.verifyPassword(username, 'x'.repeat(16), { clientIp: options?.clientIp });
        return result && !result.ok && result.reason === 'busy' ? result : INVALID;
      }
      return ldap.imitateVerify(username, options);
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
    ...(file ? { listUsers: () => file.listUsers() } : {}),
    close() {
      file?.close();
      ldap?.close();
    },
  };
}
