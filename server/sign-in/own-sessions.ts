import type { AuditLog } from '../audit/create-audit-log.js';
import type { SessionStore } from '../session/session-store.js';

/** One of the user's own sessions as "Where you're signed in" shows it: never a token or CSRF value. */
export interface OwnSessionView {
  id: string;
  /** The session of the browser looking at the list. */
  current: boolean;
  createdAt: number;
  lastActiveAt: number;
  client: { ip: string; userAgent: string | null } | null;
}

/** The user's live sessions on every instance, this browser's first, then the most recently active. */
export async function listOwnSessions(deps: { sessions: Pick<SessionStore, 'listForUser' | 'idOf'> }, input: { username: string; token: string }): Promise<OwnSessionView[]> {
  const currentId = deps.sessions.idOf(input.token);
  const found = await deps.sessions.listForUser(input.username);
  return found
    .map(({ id, session }) => ({ id, current: id === currentId, createdAt: session.createdAt, lastActiveAt: session.lastActiveAt, client: session.client ?? null }))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastActiveAt - a.lastActiveAt);
}

/**
 * Ends one of the user's own sessions, chosen by its id from the list: the store looks the id up
 * among this user's sessions only, so another user's id ends nothing. `current` says it was the
 * browser's own session (it is then signed out). One audit event when a session ended.
 */
export async function endOwnSession(
  deps: { sessions: Pick<SessionStore, 'destroyById' | 'idOf'>; audit: Pick<AuditLog, 'record'> },
  input: { username: string; token: string; id: unknown; clientIp: string; userAgent?: string; requestId?: string },
): Promise<{ ok: true; current: boolean } | { ok: false; reason: 'unknown_session' }> {
  if (typeof input.id !== 'string' || !(await deps.sessions.destroyById(input.username, input.id))) return { ok: false, reason: 'unknown_session' };
  const current = deps.sessions.idOf(input.token) === input.id;
  await deps.audit.record({
    kind: 'session.revoked',
    actor: input.username,
    subject: input.username,
    clientIp: input.clientIp,
    userAgent: input.userAgent,
    requestId: input.requestId,
    reason: 'user',
    details: { scope: 'one', target: input.id, sessions: 1 },
    message: 'signed out one of their sessions',
  });
  return { ok: true, current };
}
