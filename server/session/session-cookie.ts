import { serialize } from 'cookie';
import { isSessionToken } from './session-token.js';

/** Far more than any honest Cookie header; past it we do not even scan. */
const MAX_HEADER_LENGTH = 64 * 1024;

/**
 * The session token from a Cookie header, or undefined. Only exactly one cookie of that
 * name counts: two mean someone planted one (cookie tossing from a sibling subdomain, or a
 * Path-scoped shadow), and we refuse to guess which is ours. The value must be the exact
 * token shape we issue — no quotes, no percent-decoding. Never throws.
 */
export function readSessionToken(cookieHeader: string | string[] | undefined, name: string): string | undefined {
  try {
    const header = Array.isArray(cookieHeader) ? cookieHeader.filter((h) => typeof h === 'string').join('; ') : cookieHeader;
    if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH || !name) return undefined;
    let found: string | undefined;
    let count = 0;
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
      count++;
      found = pair.slice(eq + 1).trim();
    }
    return count === 1 && found !== undefined && isSessionToken(found) ? found : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionCookieOptions {
  name: string;
  /** A parent domain shared by the portal and the sites; absent: the portal's host only. */
  domain?: string;
  secure: boolean;
  /** Absent: a browser-session cookie, gone when the browser closes (sessions without remember-me). */
  maxAgeSeconds?: number;
}

/** HttpOnly (no script can read it), SameSite=Lax (not sent on cross-site POSTs), Path=/. */
export function serializeSessionCookie(token: string, options: SessionCookieOptions): string {
  if (!isSessionToken(token)) throw new Error('refusing to set a session cookie that is not a session token');
  return serialize(options.name, token, {
    ...common(options),
    ...(options.maxAgeSeconds !== undefined ? { maxAge: Math.floor(options.maxAgeSeconds) } : {}),
  });
}

/** Removes the cookie: same name, domain and path as set, so the browser matches it. */
export function serializeClearedSessionCookie(options: SessionCookieOptions): string {
  return serialize(options.name, '', { ...common(options), maxAge: 0, expires: new Date(0) });
}

function common(options: SessionCookieOptions) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: options.secure,
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
  };
}
