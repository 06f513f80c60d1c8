import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory, DirectoryState } from '../directory/directory.js';
import { regulationSubject } from '../regulation/create-regulator.js';
import type { RegulationVerdict, Regulator } from '../regulation/regulator.js';
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
  /** The password was right, but the directory says the account cannot sign in as it is (expired password, …). */
  | { ok: false; reason: 'account-state'; state: DirectoryState };

/**
 * First factor. Regulation is asked first. An attempt it refuses is not verified: the directory
 * imitates a verification's time instead (a locked account answers as slowly as a wrong
 * password, so a fast answer tells a guesser nothing) without asking any server, so an LDAP
 * server sees no bind once an account is locked. The previous session, if any, is ended: a
 * sign-in always gets a new id (no fixation). A directory that cannot be asked throws
 * DirectoryUnavailableError (503), and nothing is counted.
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
  let subject = deps.directory.findUser(input.username) ? input.username : undefined;
  const context = () => ({ subject, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site });
  const fail = async <R extends SignInResult & { ok: false }>(reason: string, result: R): Promise<R> => {
    await deps.audit.record({ kind: 'sign_in.failure', ...context(), reason, details: { factor: 'password' }, message: 'sign-in failed' });
    deps.onResult?.('failure');
    return result;
  };
  if (addressOnly) return fail('address-throttled', { ok: false, reason: 'address-throttled' });
  if (!verdict.ok) {
    if (deps.directory.imitateVerify) await deps.directory.imitateVerify(input.username);
    else await deps.directory.verifyPassword(input.username, input.password);
    return fail(verdict.reason, { ok: false, reason: 'invalid-credentials' });
  }

  // A name the directory finds under another spelling (an LDAP alias, "ＤＡＶＥ" for "dave") is
  // regulated again as the account it is, before any password is checked.
  let refused: (RegulationVerdict & { ok: false }) | undefined;
  const mayVerify = async (account: string) => {
    if (regulationSubject(account) === regulationSubject(input.username)) return true;
    const again = await deps.regulator.check({ ...attempt, username: account });
    if (!again.ok) refused = again;
    return again.ok;
  };
  const result = await deps.directory.verifyPassword(input.username, input.password, { mayVerify });
  if (!result.ok) subject = result.username ?? subject;
  if (refused) return fail(refused.reason, { ok: false, reason: 'invalid-credentials' });
  if (!result.ok && result.reason === 'account-state') {
    // The password was right: nothing to count against the account, and the user is told what to do.
    return fail(result.state, { ok: false, reason: 'account-state', state: result.state });
  }
  // Failures count against the account the directory found, whatever spelling reached it.
  const account = { ...attempt, username: (result.ok ? result.user.username : result.username) ?? input.username };
  if (!result.ok) {
    await deps.regulator.recordFailure(account);
    return fail(subject ? 'wrong-password' : 'unknown-or-disabled-user', { ok: false, reason: 'invalid-credentials' });
  }
  subject = result.user.username;
  if (await deps.accountStates.get(result.user.username)) return fail('disabled', { ok: false, reason: 'invalid-credentials' });
  await deps.regulator.recordSuccess(account);
  if (input.previousToken) await deps.sessions.destroy(input.previousToken);
  const created = await deps.sessions.create({
    user: result.user,
    factor: { kind: 'password', at: deps.now() },
    rememberMe: input.rememberMe,
  });
  await deps.audit.record({ kind: 'sign_in.success', ...context(), details: { factor: 'password' }, message: 'signed in' });
  deps.onResult?.('success');
  return { ok: true, token: created.token, session: created.session };
}
