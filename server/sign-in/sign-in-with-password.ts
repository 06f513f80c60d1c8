import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory, DirectoryState } from '../directory/directory.js';
import { regulationSubject } from '../regulation/create-regulator.js';
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
  /** The password was right, but the directory says the account cannot sign in as it is (expired password, …). */
  | { ok: false; reason: 'account-state'; state: DirectoryState }
  /**
   * Not checked, "try again in a moment": too many password checks from the caller's address
   * (`address`) or from everyone (`all`) are waiting. Says nothing about the account.
   */
  | { ok: false; reason: 'busy'; scope: 'address' | 'all' };

/**
 * First factor. Regulation is asked first, and counts this attempt as in flight until it
 * ends, so parallel guesses cannot all pass a limit before the first of them fails. An attempt
 * it refuses for the account is not verified: the directory imitates a verification instead,
 * in the caller's own lane of its queue and in about the time a check takes (the users file
 * hashes the password all the same; LDAP waits without asking any server, so a directory
 * server sees no bind once an account is locked). A locked account therefore answers like a
 * wrong password, in time and in "busy", and a guesser learns nothing from a fast answer;
 * its check waits behind the caller's other guesses, not in front of other people's
 * sign-ins. The previous session, if any, is ended: a sign-in always gets a new id (no
 * fixation). A directory that cannot be asked throws DirectoryUnavailableError (503), and
 * nothing is counted.
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
  let subject = deps.directory.findUser(input.username) ? input.username : undefined;
  const context = () => ({ subject, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site });
  const fail = async <R extends SignInResult & { ok: false }>(reason: string, result: R): Promise<R> => {
    await deps.audit.record({ kind: 'sign_in.failure', ...context(), reason, details: { factor: 'password' }, message: 'sign-in failed' });
    deps.onResult?.('failure');
    return result;
  };
  if (addressOnly) return fail('address-throttled', { ok: false, reason: 'address-throttled' });
  const busy = (scope: 'address' | 'all') => fail('busy', { ok: false, reason: 'busy', scope });
  if (!verdict.ok) {
    const imitated = deps.directory.imitateVerify
      ? await deps.directory.imitateVerify(input.username, { clientIp: input.clientIp })
      : await deps.directory.verifyPassword(input.username, input.password, { clientIp: input.clientIp });
    // Turned away by the queue like any check: the same "busy" a check of an open account gets.
    if (!imitated.ok && imitated.reason === 'busy') return busy(imitated.scope);
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
  const result = await deps.directory.verifyPassword(input.username, input.password, { clientIp: input.clientIp, mayVerify });
  // Nothing was checked, so nothing is counted; decided by the queue alone, before the account is looked at.
  if (!result.ok && result.reason === 'busy') return busy(result.scope);
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
