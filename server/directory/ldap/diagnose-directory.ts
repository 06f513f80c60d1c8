import type { Logger } from '../../core/logger.js';
import type { AccountState } from './account-state.js';
import { findUserEntry } from './find-user-entry.js';
import { openLdapConnection, type LdapConnection } from './ldap-connection.js';
import type { LdapSettings } from './ldap-settings.js';
import { canonicalUsername, searchableUsername, stateOf, userFromEntry } from './ldap-user.js';
import { resolveGroups } from './resolve-groups.js';
import type { SessionUser } from '../../session/session.js';

export type DiagnosisStep =
  | { step: 'connect'; ok: true; url: string; ms: number }
  | { step: 'connect'; ok: false; error: string; ms: number }
  | { step: 'search'; ok: true; found: 'none' | 'ambiguous' | 'one'; dn?: string; ms: number }
  | { step: 'search'; ok: false; error: string; ms: number }
  | { step: 'user'; ok: true; user: SessionUser; state: AccountState }
  | { step: 'user'; ok: false; error: string }
  | { step: 'groups'; ok: true; names: string[]; searches: number; truncated: boolean; ms: number }
  | { step: 'groups'; ok: false; error: string; ms: number }
  /** The refresh finds users again by their username value: the filter must find them by it. */
  | { step: 'refresh'; ok: boolean; username: string };

/**
 * What `gatehouse directory test [USER]` shows: each step of a sign-in's lookup with the
 * service account (connect and bind, search the user, read their groups, nested ones
 * resolved), timed, stopping at the first that fails. No password is checked.
 */
export async function diagnoseDirectory(settings: LdapSettings, deps: { logger: Logger; now: () => number }, username?: string): Promise<DiagnosisStep[]> {
  const steps: DiagnosisStep[] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<{ value?: T; error?: string; ms: number }> => {
    const started = deps.now();
    try {
      return { value: await work(), ms: deps.now() - started };
    } catch (error) {
      return { error: (error as Error).message, ms: deps.now() - started };
    }
  };
  const opened = await timed(() => openLdapConnection(settings, deps));
  if (!opened.value) {
    steps.push({ step: 'connect', ok: false, error: opened.error ?? 'failed', ms: opened.ms });
    return steps;
  }
  const connection: LdapConnection = opened.value;
  steps.push({ step: 'connect', ok: true, url: connection.url, ms: opened.ms });
  try {
    if (username === undefined) return steps;
    const name = searchableUsername(username);
    if (name === undefined) {
      steps.push({ step: 'search', ok: false, error: 'not a name any account can have (empty, too long or control characters)', ms: 0 });
      return steps;
    }
    const searched = await timed(() => findUserEntry(connection, settings, name));
    if (!searched.value) {
      steps.push({ step: 'search', ok: false, error: searched.error ?? 'failed', ms: searched.ms });
      return steps;
    }
    const found = searched.value;
    if (found.kind !== 'found') {
      steps.push({ step: 'search', ok: true, found: found.kind, ms: searched.ms });
      return steps;
    }
    steps.push({ step: 'search', ok: true, found: 'one', dn: found.entry.dn, ms: searched.ms });
    const canonical = canonicalUsername(found.entry, settings);
    if (canonical === undefined) {
      steps.push({ step: 'user', ok: false, error: `the entry has no usable ${settings.attributes.username} value` });
      return steps;
    }
    const groups = await timed(() => resolveGroups(connection, settings, { entry: found.entry, username: canonical }));
    const user = userFromEntry(found.entry, settings, groups.value?.names ?? [])!;
    steps.push({ step: 'user', ok: true, user, state: stateOf(found.entry, deps.now()) });
    steps.push(
      groups.value
        ? { step: 'groups', ok: true, names: groups.value.names, searches: groups.value.searches, truncated: groups.value.truncated, ms: groups.ms }
        : { step: 'groups', ok: false, error: groups.error ?? 'failed', ms: groups.ms },
    );
    const again = await findUserEntry(connection, settings, canonical).catch(() => undefined);
    steps.push({ step: 'refresh', ok: again?.kind === 'found' && again.entry.dn === found.entry.dn, username: canonical });
    return steps;
  } finally {
    connection.close();
  }
}
