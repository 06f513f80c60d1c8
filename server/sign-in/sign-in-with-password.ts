import type { Logger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';

export interface SignInDeps {
  directory: Directory;
  sessions: SessionStore;
  logger: Logger;
  now: () => number;
  onResult?: (result: 'success' | 'failure') => void;
}

export type SignInResult =
  | { ok: true; token: string; session: Session }
  | { ok: false; reason: 'invalid-credentials' };

/**
 * First factor. The previous session, if any, is ended: a sign-in always gets a new id
 * (no fixation). Unknown, disabled and wrong-password users get one indistinguishable result.
 */
export async function signInWithPassword(
  deps: SignInDeps,
  input: { username: string; password: string; rememberMe: boolean; previousToken?: string; clientIp: string; requestId?: string },
): Promise<SignInResult> {
  const result = await deps.directory.verifyPassword(input.username, input.password);
  if (!result.ok) {
    deps.logger.info({ event: 'sign_in.failure', factor: 'password', username: input.username, ip: input.clientIp, requestId: input.requestId, reason: result.reason }, 'sign-in failed');
    deps.onResult?.('failure');
    return result;
  }
  if (input.previousToken) await deps.sessions.destroy(input.previousToken);
  const created = await deps.sessions.create({
    user: result.user,
    factor: { kind: 'password', at: deps.now() },
    rememberMe: input.rememberMe,
  });
  deps.logger.info({ event: 'sign_in.success', factor: 'password', username: result.user.username, ip: input.clientIp, requestId: input.requestId }, 'signed in');
  deps.onResult?.('success');
  return { ok: true, token: created.token, session: created.session };
}
