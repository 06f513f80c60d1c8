import type { Attempt, RegulationVerdict } from '../regulation/regulator.js';
import { regulationSubject } from '../regulation/create-regulator.js';
import type { FirstFactorCheck, PasswordCredential, SignInDeps, SignInInput } from './sign-in.js';

type PasswordInput = PasswordCredential & Pick<SignInInput, 'clientIp'>;

/**
 * The password as first factor (signIn does the rest). Regulation is asked first, and counts
 * this attempt as in flight until it ends, so parallel guesses cannot all pass a limit before
 * the first of them fails. An attempt it refuses for the account is not verified: the directory
 * imitates a verification instead, in the caller's own lane of its queue and in about the time
 * a check takes (the users file hashes the password all the same; LDAP waits without asking any
 * server, so a directory server sees no bind once an account is locked). A locked account
 * therefore answers like a wrong password, in time and in "busy", and a guesser learns nothing
 * from a fast answer; its check waits behind the caller's other guesses, not in front of other
 * people's sign-ins. A directory that cannot be asked throws DirectoryUnavailableError (503),
 * and nothing is counted.
 */
export async function checkPassword(deps: SignInDeps, input: PasswordInput): Promise<FirstFactorCheck> {
  const attempt = { username: input.username, kind: 'password' as const, ip: input.clientIp };
  const admission = await deps.regulator.admit(attempt);
  try {
    return await checkAdmitted(deps, input, attempt, admission.verdict);
  } finally {
    // After recordFailure: the failure is written before the attempt stops counting.
    await admission.release();
  }
}

async function checkAdmitted(deps: SignInDeps, input: PasswordInput, attempt: Required<Attempt>, verdict: RegulationVerdict): Promise<FirstFactorCheck> {
  // A known name is kept; an unknown one is not (it is often a password typed in the wrong field).
  let subject = deps.directory.findUser(input.username) ? input.username : undefined;
  const invalid = { ok: false, reason: 'invalid-credentials' } as const;
  const busy = (scope: 'address' | 'all'): FirstFactorCheck => ({ ok: false, reason: 'busy', subject, result: { ok: false, reason: 'busy', scope } });
  // The address's own ban or limit reveals nothing about any account: refuse it at once, no hashing.
  if (!verdict.ok && verdict.scope === 'address') return { ok: false, reason: 'address-throttled', subject, result: { ok: false, reason: 'address-throttled' } };
  if (!verdict.ok) {
    const imitated = deps.directory.imitateVerify
      ? await deps.directory.imitateVerify(input.username, { clientIp: input.clientIp })
      : await deps.directory.verifyPassword(input.username, input.password, { clientIp: input.clientIp });
    // Turned away by the queue like any check: the same "busy" a check of an open account gets.
    if (!imitated.ok && imitated.reason === 'busy') return busy(imitated.scope);
    return { ok: false, reason: verdict.reason, subject, result: invalid };
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
  if (refused) return { ok: false, reason: refused.reason, subject, result: invalid };
  if (!result.ok && result.reason === 'account-state') {
    // The password was right: nothing to count against the account, and the user is told what to do.
    return { ok: false, reason: result.state, subject, result: { ok: false, reason: 'account-state', state: result.state } };
  }
  // Failures count against the account the directory found, whatever spelling reached it.
  const account = { ...attempt, username: (result.ok ? result.user.username : result.username) ?? input.username };
  if (!result.ok) {
    await deps.regulator.recordFailure(account);
    return { ok: false, reason: subject ? 'wrong-password' : 'unknown-or-disabled-user', subject, result: invalid };
  }
  return { ok: true, user: result.user, use: { kind: 'password', at: deps.now() }, attempt: account, accountRefused: invalid };
}
