/**
 * Where a site (or the portal) lives, reduced to what requests and redirect targets are
 * compared against. Built once at boot from the configured URL, whose parser has already
 * lower-cased the host, turned IDNs into punycode and dropped a default port.
 */
export interface SiteLocation {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** As URL.port writes it: '' for the scheme's default port. */
  port: string;
  /** The port a request arrives on, default port filled in. */
  effectivePort: number;
  /** Path prefix, always ending in '/'. */
  prefix: string;
}

export function describeLocation(url: URL): SiteLocation {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.href}: not an http(s) URL`);
  const prefix = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    effectivePort: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    prefix,
  };
}

/**
 * Segment-aware prefix test: prefix `/wiki/` covers `/wiki/`, `/wiki/x` and `/wiki` itself
 * (so the site can redirect it to `/wiki/`), never `/wikis`. Case-sensitive, as paths are.
 */
export function isUnderPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) || path === prefix.slice(0, -1);
}
