import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { LdapSettings } from './ldap-settings.js';

/**
 * TLS options for one server: its certificate must chain to `ca` (or the system's CAs) and
 * name `server_name`, or the URL's host. The name check is explicit because StartTLS hands
 * Node a socket, not a host, and Node would otherwise check against "localhost".
 * `insecure_skip_verify` turns both checks off, and nothing else does.
 */
export function tlsOptionsFor(url: string, tls: LdapSettings['tls']): ConnectionOptions {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  const name = tls.serverName ?? host;
  // SNI carries host names only; Node warns when it is given an address.
  const servername = isIP(name) ? undefined : name;
  if (tls.insecureSkipVerify) return { rejectUnauthorized: false, minVersion: 'TLSv1.2', ...(servername ? { servername } : {}) };
  return {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(servername ? { servername } : {}),
    checkServerIdentity: (_host, certificate) => checkServerIdentity(name, certificate),
  };
}
