import type { Logger } from '../core/logger.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';

/**
 * Ends this session, or every session of its user ("sign out everywhere"). Revocation is
 * published to all instances, so downstream apps stop receiving the identity at once.
 */
export async function signOut(
  deps: { sessions: SessionStore; logger: Logger },
  input: { token: string; session: Session; scope: 'here' | 'everywhere'; clientIp: string; requestId?: string },
): Promise<void> {
  const username = input.session.user.username;
  if (input.scope === 'everywhere') {
    const count = await deps.sessions.destroyAllForUser(username);
    deps.logger.info({ event: 'sign_out.everywhere', username, ip: input.clientIp, requestId: input.requestId, sessions: count }, 'signed out everywhere');
    return;
  }
  await deps.sessions.destroy(input.token);
  deps.logger.info({ event: 'sign_out', username, ip: input.clientIp, requestId: input.requestId }, 'signed out');
}
