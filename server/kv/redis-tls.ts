/** TLS settings beyond what a `rediss://` url says (PEM text, not file names). */
export interface RedisTlsOptions {
  /** The CA that signed the servers' certificates; absent: the system's CAs. */
  ca?: string;
  /** A client certificate and its key. */
  cert?: string;
  key?: string;
  /** The name checked in the servers' certificates instead of the host connected to. */
  serverName?: string;
}

/**
 * The `socket` options of a TLS connection. Set on a plain client with a `rediss://` url, and on
 * the Sentinel client's sentinel and data-node connections alike. The certificate is always
 * checked (`rejectUnauthorized` is never turned off).
 */
export function tlsSocketOptions(tls: RedisTlsOptions): { tls: true; ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized: true } {
  return {
    tls: true,
    rejectUnauthorized: true,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
  };
}
