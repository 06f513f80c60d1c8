import type { ConnectionPool } from './connection-pool.js';
import { findUserEntry } from './find-user-entry.js';
import type { LdapSettings } from './ldap-settings.js';
import { canonicalUsername, searchableUsername, stateOf, userFromEntry } from './ldap-user.js';
import type { RefreshLookup } from './refresh-users.js';
import { resolveGroups } from './resolve-groups.js';

/**
 * A user as the directory has them now, without their password: the search, their state and
 * their groups, with the service account. What the refresh and a passkey sign-in see.
 */
export async function lookupLdapUser(searches: ConnectionPool, settings: LdapSettings, now: () => number, typed: string): Promise<RefreshLookup> {
  const name = searchableUsername(typed);
  if (name === undefined) return { kind: 'gone', reason: 'unusable' };
  const found = await searches.use((connection) => findUserEntry(connection, settings, name));
  if (found.kind === 'none') return { kind: 'gone', reason: 'not-found' };
  if (found.kind === 'ambiguous') return { kind: 'gone', reason: 'ambiguous' };
  const username = canonicalUsername(found.entry, settings);
  if (username === undefined) return { kind: 'gone', reason: 'unusable' };
  const groups = await searches.use((connection) => resolveGroups(connection, settings, { entry: found.entry, username }));
  const user = userFromEntry(found.entry, settings, groups.names)!;
  const at = now();
  const state = stateOf(found.entry, at);
  return { kind: 'found', record: { dn: found.entry.dn, user, passwordMark: state.passwordMark, checkedAt: at, signedInAt: at }, state };
}
