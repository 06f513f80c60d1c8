import type { Entry } from 'ldapts';
import type { SessionUser } from '../../session/session.js';
import { readAccountState, type AccountState } from './account-state.js';
import { firstValue } from './entry-values.js';
import type { LdapSettings } from './ldap-settings.js';

/** One LDAP user as every instance shares it (in Redis) and the hot path reads it. */
export interface LdapUserRecord {
  dn: string;
  user: SessionUser;
  passwordMark: string | null;
  /** When the directory last confirmed this user (sign-in or refresh), ms since epoch. */
  checkedAt: number;
  /** When a sign-in (or a lookup for one) wrote it; a refresh keeps it. */
  signedInAt: number;
}

/** The longest name accepted from a sign-in form or a directory entry. */
export const MAX_LDAP_USERNAME_LENGTH = 256;

/**
 * A typed name as it is searched: NFC (one spelling of "é"), trimmed. Undefined for input no
 * account can have: empty, too long, or holding control characters (NUL among them), so such
 * input never reaches a filter at all.
 */
export function searchableUsername(typed: string): string | undefined {
  if (typeof typed !== 'string' || typed.length > MAX_LDAP_USERNAME_LENGTH * 4) return undefined;
  const name = typed.normalize('NFC').trim();
  if (name === '' || name.length > MAX_LDAP_USERNAME_LENGTH || /\p{Cc}/u.test(name)) return undefined;
  return name;
}

/**
 * The name a session carries: the entry's own username value, NFC and lower-cased, so that
 * "JDoe", "jdoe" and "jdoe@corp.example" (a userPrincipalName) are one user in rules, headers,
 * regulation and the session index.
 */
export function canonicalUsername(entry: Entry, settings: Pick<LdapSettings, 'attributes'>): string | undefined {
  const value = firstValue(entry, settings.attributes.username);
  return value === undefined ? undefined : searchableUsername(value)?.toLowerCase();
}

/** The session's view of an entry; undefined when the entry has no usable username. */
export function userFromEntry(entry: Entry, settings: Pick<LdapSettings, 'attributes'>, groups: string[]): SessionUser | undefined {
  const username = canonicalUsername(entry, settings);
  if (username === undefined) return undefined;
  const text = (attribute: string) =>
    firstValue(entry, attribute)
      ?.replace(/\p{Cc}/gu, '')
      .trim() ?? '';
  const mobile = text(settings.attributes.mobile);
  return {
    username,
    displayName: text(settings.attributes.displayName) || text('cn') || username,
    email: text(settings.attributes.mail),
    groups,
    ...(mobile ? { mobile } : {}),
    source: 'ldap',
  };
}

export function stateOf(entry: Entry, now: number): AccountState {
  return readAccountState(entry, now);
}

/** Whether two records would show the same user to an upstream and to the policy. */
export function sameUser(a: SessionUser, b: SessionUser): boolean {
  return (
    a.username === b.username && a.displayName === b.displayName && a.email === b.email && (a.mobile ?? '') === (b.mobile ?? '') && a.groups.join('\n') === b.groups.join('\n')
  );
}
