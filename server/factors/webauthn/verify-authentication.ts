import type { AuditLog } from '../../audit/create-audit-log.js';
import { loadWebAuthnLibrary } from './webauthn-library.js';
import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import type { Storage, WebAuthnCredential } from '../../storage/storage.js';
import { checkAuthenticatorData, checkClientData } from './check-ceremony.js';
import { readAuthenticationResponse } from './read-webauthn-response.js';
import { takeChallenge } from './webauthn-challenges.js';
import type { WebAuthnSettings } from './webauthn-settings.js';

export type AuthenticationFailure =
  | 'too-large'
  | 'malformed'
  | 'challenge-expired'
  | 'challenge-mismatch'
  | 'wrong-type'
  | 'wrong-origin'
  | 'unknown-credential'
  | 'wrong-user'
  | 'user-handle-mismatch'
  | 'wrong-rp-id'
  | 'user-presence-required'
  | 'user-verification-required'
  | 'backup-flags'
  | 'synced-not-allowed'
  | 'aaguid-not-allowed'
  | 'verification-failed'
  | 'counter-regression'
  | 'concurrent-use';

export type AuthenticationResult = { ok: true; username: string; credential: WebAuthnCredential; userVerified: boolean } | { ok: false; reason: AuthenticationFailure };

export interface AuthenticationDeps {
  storage: Storage;
  kv: Kv;
  logger: Logger;
  /** The clone warning is a security event: stored, and alerted when the webhook asks for it. */
  audit: AuditLog;
  settings: WebAuthnSettings;
}

/**
 * Checks an assertion. With a username it is a second factor for that user; without one it
 * is a passkey sign-in, where user verification is always required (the passkey then stands
 * for both factors, so it must be more than possession) and the user handle names the user.
 */
export async function verifyWebAuthnAuthentication(
  deps: AuthenticationDeps,
  input: { username?: string; binding: string; response: unknown; now: number },
): Promise<AuthenticationResult> {
  const { settings, storage } = deps;
  const library = await loadWebAuthnLibrary();
  const passwordless = input.username === undefined;
  const pending = await takeChallenge(deps.kv, { ceremony: 'authentication', binding: input.binding, now: input.now });
  // A second-factor challenge (UV perhaps not asked for) cannot complete a passkey sign-in, nor the reverse.
  if (!pending || pending.username !== (input.username ?? null)) return { ok: false, reason: 'challenge-expired' };

  const read = readAuthenticationResponse(input.response);
  if (!read.ok) return read;
  const { json, clientData, authenticatorData, userHandle } = read.value;
  const clientFailure = checkClientData(clientData, { type: 'webauthn.get', challenge: pending.challenge, origins: settings.origins });
  if (clientFailure) return { ok: false, reason: clientFailure };

  const credential = await storage.webauthnCredentials.get(json.id);
  if (!credential) return { ok: false, reason: 'unknown-credential' };
  if (!passwordless && credential.username !== input.username) return { ok: false, reason: 'wrong-user' };
  if (passwordless && (userHandle === undefined || (await storage.webauthnCredentials.findUserByHandle(userHandle)) !== credential.username)) {
    return { ok: false, reason: 'user-handle-mismatch' };
  }
  if (userHandle !== undefined && userHandle !== credential.userHandle) return { ok: false, reason: 'user-handle-mismatch' };

  const requireUserVerification = passwordless || settings.userVerification === 'required';
  const checked = checkAuthenticatorData(authenticatorData, { settings, requireUserVerification }, library);
  if (!checked.ok) return checked;
  const { flags, counter } = checked.authData;
  // BE is fixed when the credential is made (§6.1.3): a change means another credential source.
  if (flags.be !== credential.backupEligible) return { ok: false, reason: 'backup-flags' };
  // Policy is enforced at every sign-in too, so tightening the config applies to old credentials.
  if (credential.backupEligible && !settings.allowSynced) return { ok: false, reason: 'synced-not-allowed' };
  if (settings.allowlist.size > 0 && !settings.allowlist.has(credential.aaguid)) return { ok: false, reason: 'aaguid-not-allowed' };

  try {
    const verified = await library.server.verifyAuthenticationResponse({
      response: json,
      expectedChallenge: pending.challenge,
      expectedOrigin: [...settings.origins],
      expectedRPID: settings.rpId,
      expectedType: 'webauthn.get',
      // Counter 0 turns the library's counter check off: ours runs after the signature, so a
      // forged answer cannot raise a clone warning against someone's authenticator.
      credential: { id: credential.id, publicKey: new Uint8Array(credential.publicKey), counter: 0, transports: credential.transports },
      requireUserVerification,
    });
    if (!verified.verified) return { ok: false, reason: 'verification-failed' };
  } catch (error) {
    deps.logger.debug({ err: (error as Error)?.message, credential: credential.id }, 'webauthn: assertion refused by the verifier');
    return { ok: false, reason: 'verification-failed' };
  }

  // §7.2 step 22: a counter that does not grow (unless it stays 0) may mean a cloned authenticator.
  if ((counter > 0 || credential.counter > 0) && counter <= credential.counter) {
    await deps.audit.record({
      kind: 'webauthn.clone_warning',
      subject: credential.username,
      actor: 'system',
      reason: 'counter-regression',
      details: { credential: credential.id, aaguid: credential.aaguid, storedCounter: credential.counter, receivedCounter: counter },
      level: 'warn',
      message: 'webauthn: signature counter did not increase; the authenticator may be cloned',
    });
    return { ok: false, reason: 'counter-regression' };
  }
  const recorded = await storage.webauthnCredentials.recordUse(credential.id, { expectedCounter: credential.counter, counter, backupState: flags.bs }, input.now);
  if (!recorded) return { ok: false, reason: 'concurrent-use' };
  return {
    ok: true,
    username: credential.username,
    credential: { ...credential, counter, backupState: flags.bs, lastUsedAt: input.now },
    userVerified: flags.uv,
  };
}
