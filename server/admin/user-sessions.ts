import type { FactorKind } from '../session/session.js';
import type { Actor, AdminDeps, UnknownUser } from './admin-deps.js';
import { lookupUser, recordAdminAction, UNKNOWN_USER } from './admin-deps.js';

/** A session as an administrator sees it: never its token or CSRF value. */
export interface AdminSessionView {
  /** Non-secret id (from the token's hash), the handle for revoking it. */
  id: string;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
  factors: Array<{ kind: FactorKind; at: number }>;
  rememberMe: boolean;
  /** Where it was signed in from; null for a session from before this was recorded. */
  client: { ip: string; userAgent: string | null } | null;
}

/** The user's live sessions on every instance (they all live in the shared store), most recently active first. */
export async function listUserSessions(deps: AdminDeps, name: string): Promise<{ ok: true; username: string; sessions: AdminSessionView[] } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const found = await deps.sessions.listForUser(user.username);
  const sessions = found.map(({ id, session }) => ({
    id,
    createdAt: session.createdAt,
    lastActiveAt: session.lastActiveAt,
    expiresAt: session.expiresAt,
    factors: session.factors.map((f) => ({ kind: f.kind, at: f.at })),
    rememberMe: session.rememberMe,
    client: session.client ? { ip: session.client.ip, userAgent: session.client.userAgent } : null,
  }));
  return { ok: true, username: user.username, sessions };
}

/** Ends one session, on every instance. */
export async function revokeUserSession(
  deps: AdminDeps,
  actor: Actor,
  name: string,
  id: string,
): Promise<{ ok: true; username: string } | UnknownUser | { ok: false; reason: 'unknown_session' }> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  if (!(await deps.sessions.destroyById(user.username, id))) return { ok: false, reason: 'unknown_session' };
  await recordAdminAction(deps, actor, { kind: 'admin.session_revoke', subject: user.username, details: { scope: 'one', target: id, sessions: 1 } });
  return { ok: true, username: user.username };
}

/** Ends all the user's sessions, on every instance. */
export async function revokeAllUserSessions(deps: AdminDeps, actor: Actor, name: string): Promise<{ ok: true; username: string; sessionsEnded: number } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const sessionsEnded = await deps.sessions.destroyAllForUser(user.username);
  await recordAdminAction(deps, actor, { kind: 'admin.session_revoke', subject: user.username, details: { scope: 'all', sessions: sessionsEnded } });
  return { ok: true, username: user.username, sessionsEnded };
}
