import type { Attempt, RegulationVerdict } from '../regulation/regulator.js';
import type { FirstFactorCheck, PasswordCredential, SignInDeps, SignInInput } from './sign-in.js';

type PasswordInput = PasswordCredential & Pick<SignInInput, 'clientIp'>;

/**
 * The password as first factor (signIn does the rest). Regulation is asked first, and counts
 * this attempt as in flight until it ends, so parallel guesses cannot all pass a limit before
 * the first of them fails. A locked account still has its password hashed, so that "locked"
 * answers in the same time as "wrong password" and a guesser cannot learn from a fast answer
 * that the account exists or that they guessed right; that hash waits in the caller's own lane
 * of the hash queue, behind the caller's other guesses, not in front of other people's sign-ins.
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
  const subject = deps.directory.findUser(input.username) ? input.username : undefined;
  const invalid = { ok: false, reason: 'invalid-credentials' } as const;
  // The address's own ban or limit reveals nothing about any account: refuse it at once, no hashing.
  if (!verdict.ok && verdict.scope === 'address') return { ok: false, reason: 'address-throttled', subject, result: { ok: false, reason: 'address-throttled' } };

  const result = await deps.directory.verifyPassword(input.username, input.password, { clientIp: input.clientIp });
  // Nothing was checked, so nothing is counted; decided by the queue alone, before the verdict is looked at.
  if (!result.ok && result.reason === 'busy') return { ok: false, reason: 'busy', subject, result: { ok: false, reason: 'busy', scope: result.scope } };
  if (!verdict.ok) return { ok: false, reason: verdict.reason, subject, result: invalid };
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    return { ok: false, reason: subject ? 'wrong-password' : 'unknown-or-disabled-user', subject, result: invalid };
  }
  return { ok: true, user: result.user, use: { kind: 'password', at: deps.now() }, attempt, accountRefused: invalid };
}
