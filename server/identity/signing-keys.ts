import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import type { IdentityJwtConfig } from '../config/schema.js';

/** A public key as published in the JWKS: verification only, ES256 only. */
export interface PublishedJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  use: 'sig';
  alg: 'ES256';
}

export interface SigningKeys {
  /** The key that signs now (the first configured one), as a private JWK for jose. */
  signing: { kid: string; privateJwk: JsonWebKey };
  /** Every configured key's public half, the first one first. */
  jwks: { keys: PublishedJwk[] };
}

/**
 * The configured keys, parsed once. Validation already happened at config load; a key that
 * fails here is a bug, so this throws. Only x and y are copied into the published keys, so the
 * private scalar `d` can never leak into the JWKS.
 */
export function loadSigningKeys(keys: IdentityJwtConfig['keys']): SigningKeys {
  const first = keys[0];
  if (!first) throw new Error('identity_jwt.keys is empty');
  const published = keys.map(({ id, private_key }) => {
    const jwk = createPublicKey(createPrivateKey(private_key)).export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error(`identity_jwt key ${id} is not EC P-256`);
    return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: id, use: 'sig', alg: 'ES256' } as const;
  });
  return {
    signing: { kid: first.id, privateJwk: createPrivateKey(first.private_key).export({ format: 'jwk' }) },
    jwks: { keys: published },
  };
}
