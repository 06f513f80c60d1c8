import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software authenticator and browser for tests: real keys, real signatures, real CBOR, with
 * every field a test may want to get wrong exposed as an override. It plays both the
 * authenticator (authenticatorData, signature) and the client (clientDataJSON, JSON encoding).
 */

export type SoftAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'ES384';

export interface Flags {
  up: boolean;
  uv: boolean;
  be: boolean;
  bs: boolean;
}

export interface SoftAuthenticatorOptions {
  /** The page the "browser" is on: clientDataJSON's origin. */
  origin: string;
  aaguid?: string;
  algorithm?: SoftAlgorithm;
  userVerified?: boolean;
  backupEligible?: boolean;
  backupState?: boolean;
  transports?: string[];
  /** How much the signature counter grows per use: 1 for security keys, 0 for passkeys that keep it at 0. */
  counterStep?: number;
}

export interface SoftCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  algorithm: SoftAlgorithm;
  counter: number;
}

/** Anything a test may set differently from what an honest browser and authenticator would. */
export interface Overrides {
  origin?: string;
  type?: string;
  challenge?: string;
  rpId?: string;
  crossOrigin?: boolean;
  topOrigin?: string;
  flags?: Partial<Flags>;
  counter?: number;
  /** Registration: the AAGUID in the attested credential data. */
  aaguid?: string;
  /** Registration: the credential id to attest (default: 16 random bytes). */
  attestedId?: Buffer;
  /** Registration: the id the browser reports (default: the attested one). */
  reportedId?: string;
  /** Registration: a COSE key to attest instead of the real one. */
  cosePublicKey?: Uint8Array;
  /** Registration: the credProps.rk client extension output. */
  residentKey?: boolean;
  /** Authentication: which credential to use (default: the first allowed one we hold). */
  credentialId?: string;
  /** Authentication: the user handle to return; null returns none. */
  userHandle?: string | null;
  /** Authentication: sign with this key instead of the credential's own. */
  signWith?: KeyObject;
}

const ALG_ID: Record<SoftAlgorithm, number> = { ES256: -7, EdDSA: -8, RS256: -257, ES384: -35 };

export function createSoftAuthenticator(options: SoftAuthenticatorOptions) {
  const credentials = new Map<string, SoftCredential>();
  const algorithm = options.algorithm ?? 'ES256';
  const baseFlags = (): Flags => ({ up: true, uv: options.userVerified ?? true, be: options.backupEligible ?? false, bs: options.backupState ?? false });

  return {
    credentials,

    register(creation: PublicKeyCredentialCreationOptionsJSON, overrides: Overrides = {}): RegistrationResponseJSON {
      const rpId = creation.rp.id ?? new URL(options.origin).hostname;
      const id = overrides.attestedId ?? randomBytes(16);
      const { privateKey, publicKey } = generateKey(algorithm);
      const credential: SoftCredential = { id: id.toString('base64url'), rpId, userHandle: creation.user.id, privateKey, algorithm, counter: 0 };
      const flags = { ...baseFlags(), ...overrides.flags };
      const authData = encodeAuthenticatorData({
        rpId: overrides.rpId ?? rpId,
        flags,
        counter: overrides.counter ?? credential.counter,
        attested: { aaguid: overrides.aaguid ?? options.aaguid ?? ZERO_AAGUID, credentialId: id, cosePublicKey: overrides.cosePublicKey ?? encodeCoseKey(publicKey, algorithm) },
      });
      const attestationObject = isoCBOR.encode(
        new Map<string, isoCBORType>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      );
      credentials.set(credential.id, credential);
      return {
        id: overrides.reportedId ?? credential.id,
        rawId: overrides.reportedId ?? credential.id,
        type: 'public-key',
        response: {
          clientDataJSON: encodeClientData({ type: 'webauthn.create', challenge: creation.challenge, origin: options.origin, ...overrides }),
          attestationObject: Buffer.from(attestationObject).toString('base64url'),
          transports: options.transports ?? ['usb'],
        },
        clientExtensionResults: overrides.residentKey === undefined ? {} : { credProps: { rk: overrides.residentKey } },
      };
    },

    authenticate(request: PublicKeyCredentialRequestOptionsJSON, overrides: Overrides = {}): AuthenticationResponseJSON {
      const allowed = request.allowCredentials?.map((c) => c.id) ?? [];
      const chosen = overrides.credentialId ?? (allowed.length > 0 ? allowed.find((id) => credentials.has(id)) : [...credentials.keys()][0]);
      const credential = chosen === undefined ? undefined : credentials.get(chosen);
      if (!credential) throw new Error('soft authenticator: no credential for this request');
      credential.counter += options.counterStep ?? 1;
      const authData = encodeAuthenticatorData({
        rpId: overrides.rpId ?? request.rpId ?? credential.rpId,
        flags: { ...baseFlags(), ...overrides.flags },
        counter: overrides.counter ?? credential.counter,
      });
      const clientDataJSON = encodeClientData({ type: 'webauthn.get', challenge: request.challenge, origin: options.origin, ...overrides });
      const signed = Buffer.concat([authData, createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest()]);
      const userHandle = overrides.userHandle === undefined ? credential.userHandle : overrides.userHandle;
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        response: {
          clientDataJSON,
          authenticatorData: authData.toString('base64url'),
          signature: signWith(overrides.signWith ?? credential.privateKey, credential.algorithm, signed).toString('base64url'),
          ...(userHandle === null ? {} : { userHandle }),
        },
        clientExtensionResults: {},
      };
    },
  };
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>;
type isoCBORType = Parameters<typeof isoCBOR.encode>[0];

export const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

export function encodeClientData(input: { type: string; challenge: string; origin: string; crossOrigin?: boolean; topOrigin?: string }): string {
  const data: Record<string, unknown> = { type: input.type, challenge: input.challenge, origin: input.origin, crossOrigin: input.crossOrigin ?? false };
  if (input.topOrigin !== undefined) data.topOrigin = input.topOrigin;
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

/** rpIdHash ‖ flags ‖ signCount (big-endian) ‖ [aaguid ‖ idLength ‖ id ‖ COSE key]. */
export function encodeAuthenticatorData(input: {
  rpId: string;
  flags: Flags;
  counter: number;
  attested?: { aaguid: string; credentialId: Buffer; cosePublicKey: Uint8Array };
}): Buffer {
  const { flags } = input;
  const bits = (flags.up ? 0x01 : 0) | (flags.uv ? 0x04 : 0) | (flags.be ? 0x08 : 0) | (flags.bs ? 0x10 : 0) | (input.attested ? 0x40 : 0);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(input.counter);
  const parts: Buffer[] = [createHash('sha256').update(input.rpId).digest(), Buffer.from([bits]), counter];
  if (input.attested) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(input.attested.credentialId.length);
    parts.push(Buffer.from(input.attested.aaguid.replace(/-/g, ''), 'hex'), length, input.attested.credentialId, Buffer.from(input.attested.cosePublicKey));
  }
  return Buffer.concat(parts);
}

function generateKey(algorithm: SoftAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** The COSE_Key (RFC 9053) of a public key, CBOR-encoded as authenticators send it. */
export function encodeCoseKey(publicKey: KeyObject, algorithm: SoftAlgorithm): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const b = (value: string | undefined) => new Uint8Array(Buffer.from(value ?? '', 'base64url'));
  const alg = ALG_ID[algorithm];
  switch (algorithm) {
    case 'ES256':
    case 'ES384':
      return isoCBOR.encode(
        new Map<number, isoCBORType>([
          [1, 2],
          [3, alg],
          [-1, algorithm === 'ES256' ? 1 : 2],
          [-2, b(jwk.x)],
          [-3, b(jwk.y)],
        ]),
      );
    case 'EdDSA':
      return isoCBOR.encode(
        new Map<number, isoCBORType>([
          [1, 1],
          [3, alg],
          [-1, 6],
          [-2, b(jwk.x)],
        ]),
      );
    case 'RS256':
      return isoCBOR.encode(
        new Map<number, isoCBORType>([
          [1, 3],
          [3, alg],
          [-1, b(jwk.n)],
          [-2, b(jwk.e)],
        ]),
      );
  }
}

/** ECDSA signatures in DER, as WebAuthn carries them. */
function signWith(key: KeyObject, algorithm: SoftAlgorithm, data: Buffer): Buffer {
  if (algorithm === 'EdDSA') return sign(null, data, key);
  return sign(algorithm === 'ES384' ? 'sha384' : 'sha256', data, key);
}
