import type { SiteConfig } from '../config/schema.js';
import { describeLocation, isUnderPrefix, type SiteLocation } from './site-location.js';

export interface RedirectPolicy {
  /**
   * The serialized URL to send the browser to, or undefined when `raw` is not an absolute
   * URL on a configured site or on the portal (callers then go to the portal's home).
   * Serves sign-in (`rd`) and sign-out redirects alike.
   */
  safeTarget(raw: unknown): string | undefined;
}

export const MAX_REDIRECT_LENGTH = 2048;

/**
 * Anything browsers strip or reinterpret before or while parsing, refused outright: controls
 * (tabs and newlines inside "ht\ttps://" vanish in browsers), invisible format characters
 * (soft hyphen, zero-width space, bidi overrides, BOM), every Unicode space, and the backslash
 * (a slash to WHATWG in special URLs, not to every other parser on the way).
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Z}\s\\]/u;
/** Absolute http(s) URLs with an authority, nothing looser ("https:host", "//host", "/path"). */
const ABSOLUTE_HTTP = /^https?:\/\//i;
/** Encoded separators: a prefix check on the path cannot see them, the upstream may decode them. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;

/**
 * Redirect targets are compared as the browser will resolve them: parsed with the WHATWG
 * parser (the one browsers use), then scheme, host and port must equal a configured
 * location exactly, and the serialized result is returned, never the raw input.
 */
export function createRedirectPolicy(sites: readonly SiteConfig[], portalUrl: URL): RedirectPolicy {
  const locations: readonly SiteLocation[] = [describeLocation(portalUrl), ...sites.map((site) => describeLocation(site.url))];

  return {
    safeTarget(raw) {
      if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_REDIRECT_LENGTH) return undefined;
      if (UNSAFE_CHARACTER.test(raw) || !ABSOLUTE_HTTP.test(raw)) return undefined;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return undefined;
      }
      if (url.username !== '' || url.password !== '') return undefined;
      if (url.href.length > MAX_REDIRECT_LENGTH) return undefined;
      const allowed = locations.some(
        (location) =>
          url.protocol === location.protocol &&
          url.hostname === location.hostname &&
          url.port === location.port &&
          isUnderPrefix(url.pathname, location.prefix) &&
          (location.prefix === '/' || !ENCODED_SEPARATOR.test(url.pathname)),
      );
      return allowed ? url.href : undefined;
    },
  };
}
