import { createHash } from 'node:crypto';
import { isLoopbackHost, type Config } from '../../config/schema.js';

export type WebAuthnConfig = Config['second_factors']['webauthn'];

/** Only these are offered, and only these are accepted at registration (WebAuthn §7.1 step 21). */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257] as const; // ES256, EdDSA, RS256

/** The config, resolved once at start-up: nothing here is ever taken from a request. */
export interface WebAuthnSettings {
  rpId: string;
  rpIdHash: Buffer;
  rpName: string;
  origins: readonly string[];
  userVerification: WebAuthnConfig['user_verification'];
  attestation: WebAuthnConfig['attestation'];
  attachment: WebAuthnConfig['authenticator_attachment'];
  residentKey: WebAuthnConfig['resident_key'];
  /** AAGUID → friendly name; empty means any authenticator model may register. */
  allowlist: ReadonlyMap<string, string>;
  allowSynced: boolean;
  challengeTtlSeconds: number;
}

/**
 * Resolves the defaults (RP ID = the portal's host, origins = the portal's origin) and refuses
 * combinations a browser would refuse anyway, so that a mistake stops the boot with its key
 * instead of failing every registration with an opaque browser error.
 */
export function resolveWebAuthnSettings(config: WebAuthnConfig, portalUrl: URL): WebAuthnSettings {
  const portalHost = portalUrl.hostname;
  const rpId = config.rp_id ?? portalHost;
  if (!isHostWithin(portalHost, rpId)) {
    throw new Error(`second_factors.webauthn.rp_id "${rpId}" must be the portal's host "${portalHost}" or a parent domain of it`);
  }
  const origins = config.origins.length > 0 ? [...new Set(config.origins)] : [portalUrl.origin];
  for (const origin of origins) {
    const url = new URL(origin);
    if (!isHostWithin(url.hostname, rpId)) {
      throw new Error(`second_factors.webauthn.origins: "${origin}" is not on the RP ID "${rpId}" or a subdomain of it`);
    }
    if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
      throw new Error(`second_factors.webauthn.origins: "${origin}" must use https (browsers offer WebAuthn over plain http only on localhost)`);
    }
  }
  return {
    rpId,
    rpIdHash: createHash('sha256').update(rpId, 'utf8').digest(),
    rpName: config.rp_name,
    origins: Object.freeze(origins),
    userVerification: config.user_verification,
    attestation: config.attestation,
    attachment: config.authenticator_attachment,
    residentKey: config.resident_key,
    allowlist: new Map(config.aaguid_allowlist.map((entry) => [entry.aaguid, entry.name])),
    allowSynced: config.allow_synced,
    challengeTtlSeconds: config.challenge_ttl,
  };
}

function isHostWithin(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith('.' + rpId);
}
