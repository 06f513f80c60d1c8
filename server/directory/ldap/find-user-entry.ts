import type { Entry } from 'ldapts';
import { fillFilter } from './filter-template.js';
import type { LdapConnection } from './ldap-connection.js';
import type { LdapSettings } from './ldap-settings.js';
import { STATE_ATTRIBUTES } from './presets.js';

export type FindUserResult = { kind: 'found'; entry: Entry } | { kind: 'none' } | { kind: 'ambiguous' };

/** The attributes a user lookup reads: the mapped ones and every state attribute. */
export function userAttributes(settings: Pick<LdapSettings, 'attributes' | 'groups'>): string[] {
  const { attributes, groups } = settings;
  const mapped = [attributes.username, attributes.displayName, attributes.mail, attributes.mobile];
  if (groups.lookup === 'member_of') mapped.push(attributes.memberOf);
  return [...new Set([...mapped, ...STATE_ATTRIBUTES])];
}

/**
 * Searches the one entry the user filter finds for `username` (escaped into the filter, never
 * into a DN). Two or more entries is "ambiguous": signing in as whichever came first would let
 * a second entry with the same name take over the account.
 */
export async function findUserEntry(
  connection: LdapConnection,
  settings: Pick<LdapSettings, 'users' | 'attributes' | 'groups' | 'timeoutMs'>,
  username: string,
): Promise<FindUserResult> {
  const { searchEntries } = await connection.search(settings.users.baseDn, {
    scope: 'sub',
    filter: fillFilter(settings.users.filter, { username }),
    attributes: userAttributes(settings),
    // Two are enough to know there is more than one.
    sizeLimit: 2,
    timeLimit: Math.max(1, Math.ceil(settings.timeoutMs / 1000)),
  });
  if (searchEntries.length === 0) return { kind: 'none' };
  if (searchEntries.length > 1) return { kind: 'ambiguous' };
  return { kind: 'found', entry: searchEntries[0]! };
}
