import { isIP } from 'node:net';
import type { SiteConfig } from '../config/schema.js';

/** Everything about forwarding to one site that can be worked out once, at start. */
export interface UpstreamRoute {
  /** The upstream's origin: one connection pool each. */
  origin: string;
  /** Host header when preserve_host is off. */
  upstreamHost: string;
  /** The site's public host[:port] and port, for X-Forwarded-Host / -Port and a Host-less client. */
  publicHost: string;
  publicPort: string;
  /** How long the upstream may take to send response headers; 0 means no limit. */
  headersTimeoutMs: number;
  /** TLS server name for https upstreams, fixed so that a preserved Host never changes SNI. */
  servername: string | undefined;
  /** The request target to send: upstream path + the path below the site's prefix + query. */
  mapPath(path: string, query: string): string;
}

export function createUpstreamRoute(site: SiteConfig): UpstreamRoute {
  const upstream = site.upstream;
  if (!upstream) throw new Error(`site ${site.name} has no upstream to proxy to`);
  const prefix = site.url.pathname;
  const base = upstream.pathname.endsWith('/') ? upstream.pathname.slice(0, -1) : upstream.pathname;
  const hostname = upstream.hostname.replace(/^\[(.*)\]$/, '$1');

  return {
    origin: upstream.origin,
    upstreamHost: upstream.host,
    publicHost: site.url.host,
    publicPort: site.url.port || (site.url.protocol === 'https:' ? '443' : '80'),
    headersTimeoutMs: Math.round(site.timeout * 1000),
    servername: upstream.protocol === 'https:' && isIP(hostname) === 0 ? hostname : undefined,
    mapPath(path, query) {
      let rest: string;
      if (path.startsWith(prefix)) rest = path.slice(prefix.length - 1);
      else if (path + '/' === prefix) rest = '/';
      else throw new Error(`path ${JSON.stringify(path)} is outside site ${site.name} (${prefix})`);
      const q = query.startsWith('?') ? query.slice(1) : query;
      return q === '' ? base + rest : `${base}${rest}?${q}`;
    },
  };
}
