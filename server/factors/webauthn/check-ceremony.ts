import { timingSafeEqual } from 'node:crypto';
import type { ParsedAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { WebAuthnLibrary } from './webauthn-library.js';
import type { ClientData } from './read-webauthn-response.js';
import type { WebAuthnSettings } from './webauthn-settings.js';

/**
 * The checks of WebAuthn §7.1/§7.2 that can be made before any signature, each with its own
 * reason. The library repeats some of them; doing them here first is what lets a refusal say
 * which check failed without reading (or passing on) the library's message.
 */

export type ClientDataFailure = 'wrong-type' | 'wrong-origin' | 'challenge-mismatch';

export function checkClientData(
  clientData: ClientData,
  expected: { type: 'webauthn.create' | 'webauthn.get'; challenge: string; origins: readonly string[] },
): ClientDataFailure | undefined {
  // A registration answer offered at sign-in (or the reverse) stops here.
  if (clientData.type !== expected.type) return 'wrong-type';
  // Exact string comparison against configured origins: no parsing, so no normalisation to fool.
  // The portal is never framed, so a cross-origin (iframe) ceremony is never ours.
  if (!expected.origins.includes(clientData.origin) || clientData.crossOrigin === true || clientData.topOrigin !== undefined) return 'wrong-origin';
  if (clientData.challenge !== expected.challenge) return 'challenge-mismatch';
  return undefined;
}

export type AuthenticatorDataFailure = 'malformed' | 'wrong-rp-id' | 'user-presence-required' | 'user-verification-required' | 'backup-flags';

export function checkAuthenticatorData(
  bytes: Uint8Array,
  expected: { settings: WebAuthnSettings; requireUserVerification: boolean },
  library: WebAuthnLibrary,
): { ok: true; authData: ParsedAuthenticatorData } | { ok: false; reason: AuthenticatorDataFailure } {
  let authData: ParsedAuthenticatorData;
  try {
    // A copy: the parser patches a known Firefox encoding bug in place.
    authData = library.helpers.parseAuthenticatorData(new Uint8Array(bytes));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const { rpIdHash, flags } = authData;
  if (rpIdHash.length !== 32 || !timingSafeEqual(rpIdHash, expected.settings.rpIdHash)) return { ok: false, reason: 'wrong-rp-id' };
  if (!flags.up) return { ok: false, reason: 'user-presence-required' };
  if (expected.requireUserVerification && !flags.uv) return { ok: false, reason: 'user-verification-required' };
  // §6.1.3: a credential that is not backup eligible cannot be backed up.
  if (flags.bs && !flags.be) return { ok: false, reason: 'backup-flags' };
  return { ok: true, authData };
}
