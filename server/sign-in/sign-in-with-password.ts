import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import type { Regulator } from '../regulation/regulator.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { AccountStateStore } from '../storage/storage.js';

export interface SignInDeps {
  directory: Directory;
  sessions: SessionStore;
  regulator: Regulator;
  accountStates: AccountStateStore;
  logger: Logger;
  audit: AuditLog;
  now: () => number;
  onResult?: (result: 'success' | 'failure') => void;
}

export type SignInResult =
  | { ok: true; token: string; session: Session }
  /**
   * `invalid-credentials` covers unknown, disabled, locked and wrong-password alike: the caller
   * must not tell them apart. `address-throttled` is about the caller's own address only.
   */
  | { ok: false; reason: 'invalid-credentials' | 'address-throttled' };

/**
 * First factor. Regulation is asked first; a locked account still has its password hashed, so
 * that "locked" answers in the same time as "wrong password" and a guesser cannot learn from a
 * fast answer that the account exists or that they guessed right. The previous session, if any,
 * is ended: a sign-in always gets a new id (no fixation).
 */
export async function signInWithPassword(
  deps: SignInDeps,
  input: { username: string; password: string; rememberMe: boolean; previousToken?: string; clientIp: string; userAgent?: string; requestId?: string; site?: string },
): Promise<SignInResult> {
  const attempt = { username: input.username, kind: 'password' as const, ip: input.clientIp };
  const verdict = await deps.regulator.check(attempt);
  // The address's own ban reveals nothing about any account: refuse it at once, no hashing.
  const addressOnly = !verdict.ok && verdict.scope === 'address';
  // A known name is kept; an unknown one is not (it is often a password typed in the wrong field).
  const subject = deps.directory.findUser(input.username) ? input.username : undefined;
  const context = { subject, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site };
  const fail = async (reason: string, result: SignInResult & { ok: false }) => {
    await deps.audit.record({ kind: 'sign_in.failure', ...context, reason, details: { factor: 'password' }, message: 'sign-in failed' });
    deps.onResult?.('failure');
    return result;
  };
  if (addressOnly) return fail('address-throttled', { ok: false, reason: 'address-throttled' });

  const result = await deps.directory.verifyPassword(input.username, input.password);
  if (!verdict.ok) return fail(verdict.reason, { ok: false, reason: 'invalid-credentials' });
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    return fail(subject ? 'wrong-password' : 'unknown-or-disabled-user', result);
  }
  if (await deps.accountStates.get(result.user.username)) return fail('disabled', { ok: false, reason: 'invalid-credentials' });
  await deps.regulator.recordSuccess(attempt);
  if (input.previousToken) await deps.sessions.destroy(input.previousToken);
  const created = await deps.sessions.create({
    user: result.user,
    factor: { kind: 'password', at: deps.now() },
    rememberMe: input.rememberMe,
  });
  await deps.audit.record({ kind: 'sign_in.success', ...context, subject: result.user.username, details: { factor: 'password' }, message: 'signed in' });
  deps.onResult?.('success');
  return { ok: true, token: created.token, session: created.session };
}
