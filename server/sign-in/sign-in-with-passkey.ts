import { resolveUser } from '../directory/directory.js';
import type { RegulationVerdict } from '../regulation/regulator.js';
import type { FactorUse } from '../session/session.js';
import type { FirstFactorCheck, PasskeyCredential, SignInDeps, SignInInput } from './sign-in.js';

type PasskeyInput = PasskeyCredential & Pick<SignInInput, 'clientIp'>;

const notAllowedResult = { ok: false, reason: 'passwordless-not-allowed' } as const;

/**
 * A passkey alone as first factor (signIn does the rest). Before it is checked nobody knows whose
 * it is, so regulation can only ask about the address; it is admitted like a password (counted
 * as in flight until it ends), so a burst of forged assertions from one address is refused past
 * its limit instead of being verified in full. Where passwordless is not allowed nothing is
 * checked at all. Once the passkey names its user, regulation is asked again for that account
 * (a lock, or its passkey attempts banned), and the use is decided again for them, with exactly
 * the use the authenticator reported — user verification included, without which a passkey is
 * no sign-in on its own.
 */
export async function checkPasskey(deps: SignInDeps, input: PasskeyInput): Promise<FirstFactorCheck> {
  if (!input.allows()) return { ok: false, reason: 'passwordless-not-allowed', result: notAllowedResult };
  const { passkeys } = deps;
  if (!passkeys) throw new Error('passkey sign-in without a WebAuthn service');
  const admission = await deps.regulator.admit({ kind: 'webauthn', ip: input.clientIp });
  try {
    return await checkAdmitted(deps, passkeys, input, admission.verdict);
  } finally {
    // After recordFailure: the failure is written before the attempt stops counting.
    await admission.release();
  }
}

async function checkAdmitted(deps: SignInDeps, passkeys: NonNullable<SignInDeps['passkeys']>, input: PasskeyInput, verdict: RegulationVerdict): Promise<FirstFactorCheck> {
  const ip = input.clientIp;
  const throttled = { ok: false, reason: 'throttled' } as const;
  if (!verdict.ok) return { ok: false, reason: verdict.reason, result: throttled };

  const result = await passkeys.verifyAuthentication({ binding: input.binding, response: input.response, now: deps.now() });
  // Asked of the directory itself (LDAP: a search), so a user disabled there has no passkey sign-in either.
  const user = result.ok ? await resolveUser(deps.directory, result.username) : undefined;
  if (!result.ok || !user) {
    await deps.regulator.recordFailure({ kind: 'webauthn', ip });
    const detail = result.ok ? 'unknown-credential' : result.reason;
    return { ok: false, reason: result.ok ? 'unknown-user' : result.reason, result: { ok: false, reason: 'passkey-refused', detail } };
  }
  // The account it names, as a password sign-in asks before checking: locked, or its passkey attempts banned.
  const attempt = { username: user.username, kind: 'webauthn' as const, ip };
  const again = await deps.regulator.check(attempt);
  if (!again.ok) return { ok: false, reason: again.reason, subject: user.username, result: throttled };
  const use: FactorUse = { kind: 'webauthn', at: deps.now(), device: result.credential.id, userVerified: result.userVerified };
  // Decided again now that the passkey names its user: a rule with a subject may say otherwise for them.
  if (!input.allows({ user, use })) return { ok: false, reason: 'passwordless-not-allowed', subject: user.username, result: notAllowedResult };
  return {
    ok: true,
    user,
    use,
    attempt,
    accountRefused: throttled,
    audit: { passwordless: true, device: result.credential.id },
  };
}
