import { hashToken, randomToken } from '../core/random.js';
import type { Kv } from '../kv/kv.js';
import { isLocale, type Locale } from '../../client/i18n.js';

/**
 * How a browser is recognised for "sign-in from a new browser", privacy-minded:
 *
 * - The browser carries a random 256-bit value in an HttpOnly cookie of its own (set only after
 *   a successful sign-in, only while the new_browser notification is on). Nothing is derived
 *   from the browser itself: no user-agent, address or fingerprint is stored or compared.
 * - Per user, the gateway keeps only the SHA-256 of that value and when it was last seen, in a
 *   bounded list (the most recent `remember` browsers) that expires `ttlSeconds` after the
 *   user's last sign-in. A hash cannot be turned back into a cookie, and one user's list says
 *   nothing about another's.
 * - A cookie cleared, expired or from another browser profile is a new browser: one mail more,
 *   never one less for a browser the user has not used.
 *
 * The same record remembers the language that browser asked for, so that later mails (a lockout,
 * say, which has no request of the user's own) are written in it.
 */
export interface KnownBrowsers {
  /**
   * Records a successful sign-in from `cookie` (the browser's value, or undefined when it has
   * none or a malformed one). Returns the value the browser must keep, and whether this user had
   * not signed in from it before.
   */
  recognize(username: string, cookie: string | undefined, locale: Locale | undefined): Promise<{ cookie: string; isNew: boolean }>;
  /** The language of the user's latest sign-in, if one is remembered. */
  localeOf(username: string): Promise<Locale | undefined>;
}

interface StoredBrowsers {
  /** Newest first: hash of the cookie value and when it was last seen. */
  b: { h: string; t: number }[];
  l?: string;
}

/** 32 random bytes in base64url: anything else a browser sends is replaced, never stored. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export function isBrowserCookieValue(value: unknown): value is string {
  return typeof value === 'string' && COOKIE_VALUE.test(value);
}

export function createKnownBrowsers(deps: { kv: Kv; now: () => number }, options: { remember: number; ttlSeconds: number }): KnownBrowsers {
  const key = (username: string) => `browsers:${username.toLowerCase()}`;
  const read = async (username: string): Promise<StoredBrowsers> => {
    const raw = await deps.kv.get(key(username));
    if (raw === null) return { b: [] };
    try {
      const parsed = JSON.parse(raw) as StoredBrowsers;
      return Array.isArray(parsed.b) ? parsed : { b: [] };
    } catch {
      return { b: [] };
    }
  };
  return {
    async recognize(username, cookie, locale) {
      const value = isBrowserCookieValue(cookie) ? cookie : randomToken(32);
      const hash = hashToken(value);
      const stored = await read(username);
      const isNew = !stored.b.some((entry) => entry.h === hash);
      const browsers = [{ h: hash, t: deps.now() }, ...stored.b.filter((entry) => entry.h !== hash)].slice(0, options.remember);
      const next: StoredBrowsers = { b: browsers, ...(locale ? { l: locale } : stored.l ? { l: stored.l } : {}) };
      await deps.kv.set(key(username), JSON.stringify(next), options.ttlSeconds);
      return { cookie: value, isNew };
    },
    async localeOf(username) {
      const stored = await read(username);
      return isLocale(stored.l) ? stored.l : undefined;
    },
  };
}

/** The browser cookie's name: `__Host-` under https, so no sibling subdomain can plant one. */
export function browserCookieName(https: boolean): string {
  return https ? '__Host-gatehouse_browser' : 'gatehouse_browser';
}

export function serializeBrowserCookie(value: string, options: { https: boolean; maxAgeSeconds: number }): string {
  const secure = options.https ? '; Secure' : '';
  return `${browserCookieName(options.https)}=${value}; Path=/; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}
