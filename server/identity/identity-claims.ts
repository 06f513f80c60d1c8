import type { SiteConfig } from '../config/schema.js';
import type { Session } from '../session/session.js';

/** What the token says about its user, besides the registered time and id claims. */
export interface IdentityClaims {
  sub: string;
  name: string;
  email: string;
  groups: string[];
  /** The factor kinds used in this session (Gatehouse's names: password, totp, webauthn…). */
  amr: string[];
  /** Each factor use with its time, seconds since the epoch. */
  factors: { kind: string; at: number }[];
  /** The latest factor use, seconds since the epoch: how fresh the sign-in is. */
  auth_time: number;
}

export function buildIdentityClaims(session: Session): IdentityClaims {
  const factors = session.factors.map((f) => ({ kind: f.kind, at: Math.floor(f.at / 1000) }));
  const latest = factors.reduce((max, f) => Math.max(max, f.at), Math.floor(session.createdAt / 1000));
  return {
    sub: session.user.username,
    name: session.user.displayName,
    email: session.user.email,
    groups: [...session.user.groups],
    amr: [...new Set(factors.map((f) => f.kind))],
    factors,
    auth_time: latest,
  };
}

/** The audience of a site's tokens: its public URL, origin and path prefix. */
export function siteAudience(site: SiteConfig): string {
  return site.url.origin + site.url.pathname;
}

/**
 * Everything the claims depend on, as one string: two requests with the same key would get the
 * same token (but for iat, exp and jti). A changed group, name or factor gives a new key.
 */
export function identityCacheKey(session: Session, site: SiteConfig): string {
  const u = session.user;
  // JSON, not a separator: no field's text can make two different identities read the same.
  return JSON.stringify([site.name, u.username, session.createdAt, u.email, u.displayName, u.groups, session.factors.map((f) => [f.kind, f.at])]);
}
