import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';

/**
 * Ends this session, or every session of its user ("sign out everywhere"). Revocation is
 * published to all instances, so downstream apps stop receiving the identity at once.
 */
export async function signOut(
  deps: { sessions: SessionStore; logger: Logger; audit: AuditLog },
  input: { token: string; session: Session; scope: 'here' | 'everywhere'; clientIp: string; userAgent?: string; requestId?: string },
): Promise<void> {
  const username = input.session.user.username;
  if (input.scope === 'everywhere') {
    const count = await deps.sessions.destroyAllForUser(username);
    await deps.audit.record({
      kind: 'sign_out.everywhere',
      subject: username,
      clientIp: input.clientIp,
      userAgent: input.userAgent,
      requestId: input.requestId,
      details: { sessions: count },
      message: 'signed out everywhere',
    });
    return;
  }
  await deps.sessions.destroy(input.token);
  await deps.audit.record({ kind: 'sign_out', subject: username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, message: 'signed out' });
}
