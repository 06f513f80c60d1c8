import { loadWebAuthnLibrary, type WebAuthnLibrary } from './webauthn-library.js';
import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import { DuplicateCredentialError, type Storage, type WebAuthnCredential } from '../../storage/storage.js';
import { checkAuthenticatorData, checkClientData } from './check-ceremony.js';
import { normalizeCredentialName } from './credential-name.js';
import { readRegistrationResponse } from './read-webauthn-response.js';
import { takeChallenge } from './webauthn-challenges.js';
import { SUPPORTED_ALGORITHMS, type WebAuthnSettings } from './webauthn-settings.js';

export type RegistrationFailure =
  | 'invalid-name'
  | 'too-large'
  | 'malformed'
  | 'challenge-expired'
  | 'challenge-mismatch'
  | 'wrong-type'
  | 'wrong-origin'
  | 'wrong-rp-id'
  | 'user-presence-required'
  | 'user-verification-required'
  | 'backup-flags'
  | 'synced-not-allowed'
  | 'unsupported-algorithm'
  | 'aaguid-not-allowed'
  | 'duplicate'
  | 'verification-failed';

export type RegistrationResult = { ok: true; credential: WebAuthnCredential } | { ok: false; reason: RegistrationFailure };

export interface RegistrationDeps {
  storage: Storage;
  kv: Kv;
  logger: Logger;
  settings: WebAuthnSettings;
}

/**
 * Checks a new credential and stores it. The name is checked before the challenge is taken,
 * so a user can fix a bad name and send the same answer again; from the take on, the answer
 * is spent whatever the outcome.
 */
export async function verifyWebAuthnRegistration(
  deps: RegistrationDeps,
  input: { username: string; binding: string; response: unknown; name: unknown; now: number },
): Promise<RegistrationResult> {
  const { settings } = deps;
  const library = await loadWebAuthnLibrary();
  const name = normalizeCredentialName(input.name);
  if (name === undefined) return { ok: false, reason: 'invalid-name' };

  // Single use, and only for the session and user it was issued to.
  const pending = await takeChallenge(deps.kv, { ceremony: 'registration', binding: input.binding, now: input.now });
  if (!pending || pending.username !== input.username || pending.userHandle === null) return { ok: false, reason: 'challenge-expired' };
  // The authenticator was given this handle; a factor reset since then replaced it.
  if ((await deps.storage.webauthnCredentials.findUserByHandle(pending.userHandle)) !== input.username) return { ok: false, reason: 'challenge-expired' };

  const read = readRegistrationResponse(input.response);
  if (!read.ok) return read;
  const { json, clientData, attestationObject } = read.value;

  const clientFailure = checkClientData(clientData, { type: 'webauthn.create', challenge: pending.challenge, origins: settings.origins });
  if (clientFailure) return { ok: false, reason: clientFailure };

  const authDataBytes = readAttestedAuthData(attestationObject, library);
  if (!authDataBytes) return { ok: false, reason: 'malformed' };
  const requireUserVerification = settings.userVerification === 'required';
  const checked = checkAuthenticatorData(authDataBytes, { settings, requireUserVerification }, library);
  if (!checked.ok) return checked;
  const { flags, aaguid, credentialID, credentialPublicKey, counter } = checked.authData;
  // The id the browser reports must be the one the authenticator attested (the library uses
  // the latter and never compares): otherwise the stored id would not be the signed one.
  if (!flags.at || !aaguid || !credentialID || !credentialPublicKey || Buffer.from(credentialID).toString('base64url') !== json.id) {
    return { ok: false, reason: 'malformed' };
  }

  if (flags.be && !settings.allowSynced) return { ok: false, reason: 'synced-not-allowed' };
  const algorithm = publicKeyAlgorithm(credentialPublicKey, library);
  if (algorithm === undefined) return { ok: false, reason: 'malformed' };
  if (!(SUPPORTED_ALGORITHMS as readonly number[]).includes(algorithm)) return { ok: false, reason: 'unsupported-algorithm' };
  // With attestation "none" the AAGUID is the authenticator's own claim (or zeros): the list
  // keeps honest authenticators of other models out; it is not proof against a forged one.
  const aaguidText = library.helpers.convertAAGUIDToString(aaguid);
  if (settings.allowlist.size > 0 && !settings.allowlist.has(aaguidText)) return { ok: false, reason: 'aaguid-not-allowed' };
  if (await deps.storage.webauthnCredentials.get(json.id)) return { ok: false, reason: 'duplicate' };

  try {
    const verified = await library.server.verifyRegistrationResponse({
      response: json,
      expectedChallenge: pending.challenge,
      expectedOrigin: [...settings.origins],
      expectedRPID: settings.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification,
      supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
    });
    if (!verified.verified) return { ok: false, reason: 'verification-failed' };
  } catch (error) {
    // The message names expected origins and challenges: debug log only, never the caller.
    deps.logger.debug({ err: (error as Error)?.message, username: input.username }, 'webauthn: registration refused by the verifier');
    return { ok: false, reason: 'verification-failed' };
  }

  try {
    const credential = await deps.storage.webauthnCredentials.create(
      {
        id: json.id,
        username: input.username,
        userHandle: pending.userHandle,
        publicKey: Buffer.from(credentialPublicKey),
        counter,
        transports: read.value.transports,
        aaguid: aaguidText,
        backupEligible: flags.be,
        backupState: flags.bs,
        userVerified: flags.uv,
        discoverable: read.value.discoverable,
        name,
      },
      input.now,
    );
    return { ok: true, credential };
  } catch (error) {
    if (error instanceof DuplicateCredentialError) return { ok: false, reason: 'duplicate' };
    throw error;
  }
}

/** The attestation object's authData, if it is a CBOR map with the three members it must have. */
/** The authData of an attestation object, if it is one (fmt, attStmt, authData). */
export function readAttestedAuthData(attestationObject: Buffer, { helpers }: WebAuthnLibrary): Uint8Array | undefined {
  try {
    const decoded = helpers.isoCBOR.decodeFirst<unknown>(new Uint8Array(attestationObject));
    if (!(decoded instanceof Map)) return undefined;
    const authData = decoded.get('authData');
    if (typeof decoded.get('fmt') !== 'string' || !(decoded.get('attStmt') instanceof Map) || !(authData instanceof Uint8Array)) return undefined;
    return authData;
  } catch {
    return undefined;
  }
}

function publicKeyAlgorithm(cosePublicKey: Uint8Array, { helpers }: WebAuthnLibrary): number | undefined {
  try {
    const alg = helpers.decodeCredentialPublicKey(new Uint8Array(cosePublicKey)).get(helpers.cose.COSEKEYS.alg);
    return typeof alg === 'number' ? alg : undefined;
  } catch {
    return undefined;
  }
}
