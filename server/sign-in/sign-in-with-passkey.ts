import { resolveUser } from '../directory/directory.js';
import type { FactorUse } from '../session/session.js';
import type { FirstFactorCheck, PasskeyCredential, SignInDeps, SignInInput } from './sign-in.js';

type PasskeyInput = PasskeyCredential & Pick<SignInInput, 'clientIp'>;

/**
 * A passkey alone as first factor (signIn does the rest). Before it is checked nobody knows whose
 * it is, so regulation can only ask about the address (`check`: the challenge is single use, and
 * one is issued per browser). Where passwordless is not allowed nothing is checked at all; once
 * the passkey names its user it is asked again for them, with exactly the use the authenticator
 * reported — user verification included, without which a passkey is no sign-in on its own.
 */
export async function checkPasskey(deps: SignInDeps, input: PasskeyInput): Promise<FirstFactorCheck> {
  const notAllowed = { ok: false, reason: 'passwordless-not-allowed' } as const;
  if (!input.allows()) return { ok: false, reason: 'passwordless-not-allowed', result: notAllowed };
  if (!deps.passkeys) throw new Error('passkey sign-in without a WebAuthn service');
  const ip = input.clientIp;
  const verdict = await deps.regulator.check({ kind: 'webauthn', ip });
  if (!verdict.ok) return { ok: false, reason: verdict.reason, result: { ok: false, reason: 'throttled' } };

  const result = await deps.passkeys.verifyAuthentication({ binding: input.binding, response: input.response, now: deps.now() });
  // Asked of the directory itself (LDAP: a search), so a user disabled there has no passkey sign-in either.
  const user = result.ok ? await resolveUser(deps.directory, result.username) : undefined;
  if (!result.ok || !user) {
    await deps.regulator.recordFailure({ kind: 'webauthn', ip });
    const detail = result.ok ? 'unknown-credential' : result.reason;
    return { ok: false, reason: result.ok ? 'unknown-user' : result.reason, result: { ok: false, reason: 'passkey-refused', detail } };
  }
  const use: FactorUse = { kind: 'webauthn', at: deps.now(), device: result.credential.id, userVerified: result.userVerified };
  // Decided again now that the passkey names its user: a rule with a subject may say otherwise for them.
  if (!input.allows({ user, use })) return { ok: false, reason: 'passwordless-not-allowed', subject: user.username, result: notAllowed };
  return {
    ok: true,
    user,
    use,
    attempt: { username: user.username, kind: 'webauthn', ip },
    accountRefused: { ok: false, reason: 'throttled' },
    audit: { passwordless: true, device: result.credential.id },
  };
}
