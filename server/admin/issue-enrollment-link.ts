import { issueEnrollmentCode } from '../enrollment/enrollment-codes.js';
import type { Actor, AdminDeps, UnknownUser } from './admin-deps.js';
import { lookupUser, recordAdminAction, UNKNOWN_USER } from './admin-deps.js';

export interface EnrollmentLinkOptions {
  /** enrollment.admin_link.enabled */
  enabled: boolean;
  ttlSeconds: number;
  portalUrl: URL;
}

export type EnrollmentLinkResult =
  | { ok: true; username: string; code: string; link: string; expiresAt: number }
  | UnknownUser
  | { ok: false; reason: 'user_disabled' | 'links_disabled' };

/**
 * What `gatehouse enroll issue` hands out: a single-use code for a user's first second factor,
 * and the portal page where they enter it. The code is shown to the administrator once; the
 * database and the audit log keep only its hash and its expiry. It is not put in the link:
 * a URL ends up in proxy logs and browser history.
 */
export async function issueEnrollmentLink(deps: AdminDeps, actor: Actor, name: string, options: EnrollmentLinkOptions): Promise<EnrollmentLinkResult> {
  if (!options.enabled) return { ok: false, reason: 'links_disabled' };
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  if (user.disabled) return { ok: false, reason: 'user_disabled' };
  const { code, expiresAt } = await issueEnrollmentCode(deps.storage, {
    username: user.username,
    method: 'admin',
    ttlSeconds: options.ttlSeconds,
    issuedBy: actor.name,
    now: deps.clock.now(),
  });
  await recordAdminAction(deps, actor, { kind: 'admin.enrollment_issued', subject: user.username, details: { method: 'admin', until: expiresAt } });
  return { ok: true, username: user.username, code, link: new URL('methods', options.portalUrl).href, expiresAt };
}
