import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { IdentityJwtConfig, SiteConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Session } from '../session/session.js';
import { buildIdentityClaims, identityCacheKey, siteAudience } from './identity-claims.js';
import { loadSigningKeys, type PublishedJwk } from './signing-keys.js';

export interface IdentityTokenIssuer {
  /** Lower-case name of the request header that carries the token. */
  header: string;
  /**
   * The token for this session at this site. A plain string when a token signed earlier still
   * has more than half its life (the common case: no promise, no signature); a promise when one
   * must be signed. Concurrent misses share one signature.
   */
  tokenFor(session: Session, site: SiteConfig): string | Promise<string>;
  /** The public keys, for /.well-known/jwks.json. */
  jwks: { keys: PublishedJwk[] };
}

interface Entry {
  token: string | Promise<string>;
  /** After this (ms) the token is signed again. */
  refreshAt: number;
}

/**
 * Signs the short-lived ES256 identity token an upstream can verify against our JWKS. Tokens
 * are cached per identity and site and reused until half their lifetime has passed, so an app
 * always gets a token valid for at least ttl/2 (less a second of rounding) and the proxy hot
 * path signs at most once per user, site and half-lifetime.
 */
export function createIdentityTokenIssuer(deps: { clock: Clock }, options: { config: IdentityJwtConfig; issuer: string; maxCached?: number }): IdentityTokenIssuer {
  const { config, issuer } = options;
  const keys = loadSigningKeys(config.keys);
  const kid = keys.signing.kid;
  const maxCached = options.maxCached ?? 10_000;
  const ttlMs = config.ttl * 1000;
  const cache = new Map<string, Entry>();
  let privateKey: ReturnType<typeof importJWK> | undefined;

  async function sign(session: Session, site: SiteConfig, nowMs: number): Promise<string> {
    privateKey ??= importJWK(keys.signing.privateJwk as Parameters<typeof importJWK>[0], 'ES256');
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ ...buildIdentityClaims(session) })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
      .setIssuer(issuer)
      .setAudience(siteAudience(site))
      .setIssuedAt(iat)
      .setExpirationTime(iat + config.ttl)
      .setJti(randomUUID())
      .sign(await privateKey);
  }

  /** Expired entries go first; if the table is still full, it starts over. */
  function makeRoom(now: number): void {
    if (cache.size < maxCached) return;
    for (const [key, entry] of cache) if (entry.refreshAt <= now) cache.delete(key);
    if (cache.size >= maxCached) cache.clear();
  }

  function tokenFor(session: Session, site: SiteConfig): string | Promise<string> {
    const now = deps.clock.now();
    const key = identityCacheKey(session, site);
    const cached = cache.get(key);
    if (cached && cached.refreshAt > now) return cached.token;
    makeRoom(now);
    const entry: Entry = { token: '', refreshAt: now + ttlMs / 2 };
    entry.token = sign(session, site, now).then(
      (token) => {
        // Later requests read the string itself: no promise once the token exists.
        if (cache.get(key) === entry) entry.token = token;
        return token;
      },
      (error: unknown) => {
        if (cache.get(key) === entry) cache.delete(key);
        throw error;
      },
    );
    cache.set(key, entry);
    return entry.token;
  }

  return { header: config.header.toLowerCase(), tokenFor, jwks: keys.jwks };
}
