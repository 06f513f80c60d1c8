import type { Session } from '../../session/session.js';
import { freshFactorUntil } from '../admin-router.js';

/** An administrator changes things; an auditor (admin.auditor_group) reads everything and changes nothing. */
export type ConsoleRole = 'admin' | 'auditor';

export type ConsoleAccess = { kind: 'allowed'; role: ConsoleRole } | { kind: 'forbidden' } | { kind: 'needs-fresh-factor'; role: ConsoleRole };

export interface ConsoleAccessOptions {
  adminGroup: string;
  auditorGroup: string | undefined;
  now: number;
  freshFactorAgeSeconds: number;
  /** second_factors.webauthn.passwordless: a verified passkey alone counts as the second factor. */
  passwordless: boolean;
}

/**
 * Who may see the console, decided from the session alone: a member of admin.group (or of
 * admin.auditor_group, read-only) whose second factor is at most admin.fresh_factor_age old —
 * the same freshness the admin API asks. Membership is checked before freshness, so someone
 * outside both groups is never sent to prove a factor for a page they cannot see.
 */
export function decideConsoleAccess(session: Session, options: ConsoleAccessOptions): ConsoleAccess {
  const groups = session.user.groups;
  const role: ConsoleRole | undefined = groups.includes(options.adminGroup)
    ? 'admin'
    : options.auditorGroup !== undefined && groups.includes(options.auditorGroup)
      ? 'auditor'
      : undefined;
  if (!role) return { kind: 'forbidden' };
  if (freshFactorUntil(session, options.now, options.freshFactorAgeSeconds, options.passwordless) === null) return { kind: 'needs-fresh-factor', role };
  return { kind: 'allowed', role };
}
