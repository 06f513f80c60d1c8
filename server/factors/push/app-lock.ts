import { hashToken, randomToken } from '../../core/random.js';
import type { PushAppLock, PushDevice } from '../../storage/storage.js';
import { checkAuthenticatorData, checkClientData } from '../webauthn/check-ceremony.js';
import { readAuthenticationResponse, readRegistrationResponse } from '../webauthn/read-webauthn-response.js';
import { loadWebAuthnLibrary } from '../webauthn/webauthn-library.js';
import { readAttestedAuthData } from '../webauthn/verify-registration.js';
import { SUPPORTED_ALGORITHMS, type WebAuthnSettings } from '../webauthn/webauthn-settings.js';
import type { PushDeps } from './push-deps.js';

/**
 * The phone app lock (second_factors.push.require_user_verification). At enrollment the companion
 * makes a WebAuthn credential on the phone's platform authenticator with user verification
 * required, for the companion's origin (the portal's); with each approval it sends an assertion
 * of that credential over appLockChallenge(answer text). The gateway checks, in order: the
 * credential is the one registered with this phone, client data (type, exact origin, challenge),
 * authenticator data (RP ID hash, UP, UV), the signature, and the counter (moved on atomically).
 */
export interface AppLockSettings {
  webauthn: WebAuthnSettings;
  /** The companion's origin: the portal's, exactly. */
  origin: string;
}

export type AppLockFailure = 'app_lock_refused';

const registrationKey = (token: string) => `push:app-lock:${hashToken(token)}`;

/** Options for navigator.credentials.create at enrollment; the challenge is kept for the enrollment link's lifetime. */
export async function appLockRegistrationOptions(deps: Pick<PushDeps, 'kv' | 'config'>, settings: AppLockSettings, token: string, username: string) {
  const challenge = randomToken(32);
  await deps.kv.set(registrationKey(token), challenge, deps.config.enrollment_ttl);
  return {
    challenge,
    rp: { id: settings.webauthn.rpId, name: settings.webauthn.rpName },
    // A fresh random handle: this credential is the app's lock, never a passkey that names the user.
    user: { id: randomToken(16), name: username, displayName: username },
    pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
    authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'discouraged', requireResidentKey: false },
    attestation: 'none',
    timeout: 120_000,
  };
}

/** Checks the enrollment's credential; the challenge is spent whatever the outcome. */
export async function verifyAppLockRegistration(
  deps: Pick<PushDeps, 'kv' | 'logger'>,
  settings: AppLockSettings,
  token: string,
  response: unknown,
): Promise<{ ok: true; lock: PushAppLock } | { ok: false; reason: AppLockFailure }> {
  const refused = { ok: false, reason: 'app_lock_refused' } as const;
  const challenge = await deps.kv.take(registrationKey(token), { replicated: true });
  if (challenge === null) return refused;
  const read = readRegistrationResponse(response);
  if (!read.ok) return refused;
  const { json, clientData, attestationObject } = read.value;
  if (checkClientData(clientData, { type: 'webauthn.create', challenge, origins: [settings.origin] })) return refused;
  const library = await loadWebAuthnLibrary();
  const authData = readAttestedAuthData(attestationObject, library);
  if (!authData) return refused;
  const checked = checkAuthenticatorData(authData, { settings: settings.webauthn, requireUserVerification: true }, library);
  if (!checked.ok) return refused;
  const { flags, credentialID, credentialPublicKey, counter } = checked.authData;
  if (!flags.at || !credentialID || !credentialPublicKey || Buffer.from(credentialID).toString('base64url') !== json.id) return refused;
  try {
    const verified = await library.server.verifyRegistrationResponse({
      response: json,
      expectedChallenge: challenge,
      expectedOrigin: settings.origin,
      expectedRPID: settings.webauthn.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
    });
    if (!verified.verified) return refused;
  } catch (error) {
    deps.logger.debug({ err: (error as Error)?.message }, 'push app lock: registration refused by the verifier');
    return refused;
  }
  return { ok: true, lock: { credentialId: json.id, publicKey: Buffer.from(credentialPublicKey), counter } };
}

/**
 * Checks an approval's assertion against the phone's app-lock credential. `challenge` is
 * appLockChallenge(answer text) of the answer being made.
 */
export async function verifyAppLockAssertion(
  deps: Pick<PushDeps, 'storage' | 'logger'>,
  settings: AppLockSettings,
  device: PushDevice,
  challenge: string,
  response: unknown,
): Promise<{ ok: true } | { ok: false; reason: 'missing' | 'wrong-credential' | 'client-data' | 'user-verification' | 'signature' | 'counter' | 'malformed' }> {
  const lock = device.appLock;
  if (!lock) return { ok: false, reason: 'missing' };
  if (response === undefined || response === null) return { ok: false, reason: 'missing' };
  const read = readAuthenticationResponse(response);
  if (!read.ok) return { ok: false, reason: 'malformed' };
  const { json, clientData, authenticatorData } = read.value;
  // Another credential (a passkey of the user's, another phone's lock) is not this phone's lock.
  if (json.id !== lock.credentialId) return { ok: false, reason: 'wrong-credential' };
  if (checkClientData(clientData, { type: 'webauthn.get', challenge, origins: [settings.origin] })) return { ok: false, reason: 'client-data' };
  const library = await loadWebAuthnLibrary();
  const checked = checkAuthenticatorData(authenticatorData, { settings: settings.webauthn, requireUserVerification: true }, library);
  if (!checked.ok) return { ok: false, reason: checked.reason === 'user-verification-required' ? 'user-verification' : 'malformed' };
  const { counter } = checked.authData;
  try {
    const verified = await library.server.verifyAuthenticationResponse({
      response: json,
      expectedChallenge: challenge,
      expectedOrigin: settings.origin,
      expectedRPID: settings.webauthn.rpId,
      expectedType: 'webauthn.get',
      credential: { id: lock.credentialId, publicKey: new Uint8Array(lock.publicKey), counter: 0 },
      requireUserVerification: true,
    });
    if (!verified.verified) return { ok: false, reason: 'signature' };
  } catch (error) {
    deps.logger.debug({ err: (error as Error)?.message, device: device.id }, 'push app lock: assertion refused by the verifier');
    return { ok: false, reason: 'signature' };
  }
  // A counter that does not grow (unless both stay 0) is a replay or a cloned authenticator.
  if ((counter > 0 || lock.counter > 0) && counter <= lock.counter) return { ok: false, reason: 'counter' };
  if (counter !== lock.counter && !(await deps.storage.pushDevices.updateAppLockCounter(device.id, lock.counter, counter))) return { ok: false, reason: 'counter' };
  return { ok: true };
}
