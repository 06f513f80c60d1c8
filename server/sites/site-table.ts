import type { SiteConfig } from '../config/schema.js';
import { describeLocation, isUnderPrefix, type SiteLocation } from './site-location.js';

export interface SiteTable {
  /**
   * The site a request is for, or undefined. `hostname` is the Host header's name without its
   * port; `path` the normalized path without query (what the upstream will see).
   */
  match(hostname: string, port: number | undefined, path: string): SiteConfig | undefined;
  /** True when the request is for the portal itself (same rules as a site). */
  isPortal(hostname: string, port: number | undefined, path: string): boolean;
  readonly sites: readonly SiteConfig[];
}

type Entry = { site: SiteConfig; location: SiteLocation };

/** A host name we may compare as is: printable ASCII (sites' names are punycode already). */
const ASCII_HOST = /^[\x21-\x7e]+$/;

/**
 * Matching is exact by design: the host must equal the site's (case aside; no trailing dot,
 * no suffix match), the port must equal its effective port (a Host without a port means the
 * scheme's default), and the path must be under its prefix by whole segments. Longest prefix
 * wins. One Map lookup by host name, then a short scan of that host's sites.
 */
export function createSiteTable(sites: readonly SiteConfig[], portalUrl: URL): SiteTable {
  const portal = describeLocation(portalUrl);
  const byHost = new Map<string, Entry[]>();
  for (const site of sites) {
    const location = describeLocation(site.url);
    if (location.hostname === portal.hostname && location.effectivePort === portal.effectivePort && location.prefix === portal.prefix) {
      throw new Error(`site "${site.name}": ${site.url.href} is the portal's URL`);
    }
    const entries = byHost.get(location.hostname) ?? [];
    entries.push({ site, location });
    byHost.set(location.hostname, entries);
  }
  // Longest prefix first, so the first hit is the most specific.
  for (const entries of byHost.values()) entries.sort((a, b) => b.location.prefix.length - a.location.prefix.length);

  function matches(location: SiteLocation, port: number | undefined, path: string): boolean {
    return (port ?? defaultPort(location)) === location.effectivePort && isUnderPrefix(path, location.prefix);
  }

  return {
    match(hostname, port, path) {
      const host = normalizeHost(hostname);
      if (host === undefined) return undefined;
      const entries = byHost.get(host);
      if (!entries) return undefined;
      for (const entry of entries) if (matches(entry.location, port, path)) return entry.site;
      return undefined;
    },
    isPortal(hostname, port, path) {
      return normalizeHost(hostname) === portal.hostname && matches(portal, port, path);
    },
    sites,
  };
}

function defaultPort(location: SiteLocation): number {
  return location.protocol === 'https:' ? 443 : 80;
}

/** Host names are case-insensitive in ASCII only: Unicode case folding (K → k) is refused, not applied. */
function normalizeHost(hostname: string): string | undefined {
  if (!ASCII_HOST.test(hostname)) return undefined;
  return hostname.toLowerCase();
}
