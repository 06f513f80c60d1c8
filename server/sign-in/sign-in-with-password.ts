import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';

export interface SignInDeps {
  directory: Directory;
  sessions: SessionStore;
  logger: Logger;
  audit: AuditLog;
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
  input: { username: string; password: string; rememberMe: boolean; previousToken?: string; clientIp: string; userAgent?: string; requestId?: string },
): Promise<SignInResult> {
  const result = await deps.directory.verifyPassword(input.username, input.password);
  if (!result.ok) {
    await deps.audit.record({ kind: 'sign_in.failure', subject: input.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, reason: result.reason, details: { factor: 'password' }, message: 'sign-in failed' });
    deps.onResult?.('failure');
    return result;
  }
  if (input.previousToken) await deps.sessions.destroy(input.previousToken);
  const created = await deps.sessions.create({
    user: result.user,
    factor: { kind: 'password', at: deps.now() },
    rememberMe: input.rememberMe,
  });
  await deps.audit.record({ kind: 'sign_in.success', subject: result.user.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, details: { factor: 'password' }, message: 'signed in' });
  deps.onResult?.('success');
  return { ok: true, token: created.token, session: created.session };
}
