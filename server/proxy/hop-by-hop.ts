/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the legacy
 * ones proxies still see. They never cross the proxy in either direction.
 *
 * Proxy-Authorization and Proxy-Authenticate are here too, as in Go's ReverseProxy: they are
 * addressed to a proxy, we are that proxy and do not use them, and passing them on would hand
 * a client's forward-proxy credentials to every upstream application.
 *
 * HTTP2-Settings belongs to an h2c upgrade of this one connection (RFC 7540 §3.2.1), which is
 * never passed on; without its Upgrade it means nothing to an upstream.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'proxy-authorization',
  'proxy-authenticate',
]);

const NONE: ReadonlySet<string> = new Set();

/**
 * Header names listed in Connection, which are hop-by-hop for this message only. Content-Length
 * is never dropped this way: it frames the body we are passing on, whatever the client says.
 */
export function connectionListed(connection: string | string[] | undefined): ReadonlySet<string> {
  // The hot path: nearly every message says just "keep-alive" or "close", naming no header.
  if (connection === undefined || (typeof connection === 'string' && /^(?:keep-alive|close)$/i.test(connection))) return NONE;
  const listed = new Set<string>();
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && name !== 'content-length') listed.add(name);
    }
  }
  return listed;
}
