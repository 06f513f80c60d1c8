import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import type { Attempt, RegulationVerdict, Regulator } from '../regulation/regulator.js';
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
  | { ok: false; reason: 'invalid-credentials' | 'address-throttled' }
  /**
   * Not checked, "try again in a moment": too many password checks from the caller's address
   * (`address`) or from everyone (`all`) are waiting. Says nothing about the account.
   */
  | { ok: false; reason: 'busy'; scope: 'address' | 'all' };

/**
 * First factor. Regulation is asked first, and counts this attempt as in flight until it
 * ends, so parallel guesses cannot all pass a limit before the first of them fails. A locked
 * account still has its password hashed, so that "locked" answers in the same time as "wrong
 * password" and a guesser cannot learn from a fast answer that the account exists or that they
 * guessed right; that hash waits in the caller's own lane of the hash queue, behind the
 * caller's other guesses, not in front of other people's sign-ins. The previous session, if
 * any, is ended: a sign-in always gets a new id (no fixation).
 */
export async function signInWithPassword(deps: SignInDeps, input: SignInInput): Promise<SignInResult> {
  const attempt = { username: input.username, kind: 'password' as const, ip: input.clientIp };
  const admission = await deps.regulator.admit(attempt);
  try {
    return await signInAdmitted(deps, input, attempt, admission.verdict);
  } finally {
    // After recordFailure: the failure is written before the attempt stops counting.
    await admission.release();
  }
}

interface SignInInput {
  username: string;
  password: string;
  rememberMe: boolean;
  previousToken?: string;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
  site?: string;
}

async function signInAdmitted(deps: SignInDeps, input: SignInInput, attempt: Attempt & { username: string }, verdict: RegulationVerdict): Promise<SignInResult> {
  // The address's own ban or limit reveals nothing about any account: refuse it at once, no hashing.
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

  const result = await deps.directory.verifyPassword(input.username, input.password, { clientIp: input.clientIp });
  // Nothing was checked, so nothing is counted; decided by the queue alone, before the verdict is looked at.
  if (!result.ok && result.reason === 'busy') return fail('busy', { ok: false, reason: 'busy', scope: result.scope });
  if (!verdict.ok) return fail(verdict.reason, { ok: false, reason: 'invalid-credentials' });
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    return fail(subject ? 'wrong-password' : 'unknown-or-disabled-user', { ok: false, reason: 'invalid-credentials' });
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
