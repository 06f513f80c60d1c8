import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { compileNetworks } from '../policy/networks.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface ClientAddress {
  /** The client's address: the peer, or the first untrusted X-Forwarded-For hop. '' when the socket has none. */
  ip: string;
  /** The peer itself is a trusted proxy (its X-Forwarded-* headers may be believed). */
  viaTrustedProxy: boolean;
  /**
   * Set when a trusted proxy's X-Forwarded-For could not be walked: `ip` is then the proxy's own
   * address, which is right for counting failures but says nothing about who the client is.
   */
  forwardedForMalformed?: true;
}

export type ClientAddressResolver = (peer: string | undefined, forwardedFor: string | string[] | undefined) => ClientAddress;

/**
 * More hops than any real proxy chain has. A longer walk is treated as malformed, which also
 * bounds the work an attacker can make us do per request.
 */
const MAX_HOPS = 32;

/**
 * Decides who the client is. X-Forwarded-For is read only when the peer is a trusted proxy,
 * and then only as far as trusted proxies wrote it: walking from the right, each trusted hop
 * vouches for the one to its left, and the first untrusted hop is the client. Everything left
 * of it was written by the client and is ignored. A malformed entry in the walked part falls
 * back to the peer rather than throwing: an exception here must never skip a policy check.
 */
export function createClientAddressResolver(trustedProxies: readonly string[]): ClientAddressResolver {
  // The one address matcher (policy/networks.ts): trusted_proxies means here what any CIDR list means everywhere.
  const isTrusted = compileNetworks(trustedProxies);
  /**
   * An address as ipaddr.js prints it, and whether it is trusted. An address that passed isIP as
   * version 4 (four decimal parts, no leading zeros) prints as written, so the common case needs
   * no parse; anything else (IPv6, mapped IPv4, garbage) is parsed strictly first.
   */
  const classify = (text: string): { ip: string; trusted: boolean } | undefined => {
    if (isIP(text) === 4) return { ip: text, trusted: isTrusted(text) };
    const address = parseAddress(text);
    if (!address) return undefined;
    const ip = address.toString();
    return { ip, trusted: isTrusted(ip) };
  };

  return (peer, forwardedFor) => {
    const peerIp = normalizePeerAddress(peer);
    if (trustedProxies.length === 0 || peerIp === '') return { ip: peerIp, viaTrustedProxy: false };
    if (!classify(peerIp)?.trusted) return { ip: peerIp, viaTrustedProxy: false };
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    if (header === undefined || header.trim() === '') return { ip: peerIp, viaTrustedProxy: true };
    const client = walkForwardedFor(header, classify);
    return client === undefined ? { ip: peerIp, viaTrustedProxy: true, forwardedForMalformed: true } : { ip: client, viaTrustedProxy: true };
  };
}

/** The first untrusted hop from the right, the leftmost if all are trusted; undefined if malformed. */
function walkForwardedFor(header: string, classify: (text: string) => { ip: string; trusted: boolean } | undefined): string | undefined {
  let end = header.length;
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    const comma = header.lastIndexOf(',', end - 1);
    const entry = header.slice(comma + 1, end).replace(/^[ \t]+|[ \t]+$/g, '');
    const hop = classify(entry);
    if (!hop) return undefined;
    if (!hop.trusted || comma === -1) return hop.ip;
    end = comma;
  }
  return undefined;
}

/**
 * Plain IPv4 for IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, as dual-stack sockets report
 * them), so that one CIDR list and one policy network cover both forms.
 */
export function normalizePeerAddress(peer: string | undefined): string {
  if (peer === undefined) return '';
  if (isIP(peer) === 4) return peer;
  const address = parseAddress(peer);
  return address ? address.toString() : '';
}

/**
 * Strict parse: isIP first, because ipaddr.js alone also accepts shorthand and octal/hex
 * IPv4 forms ("127.1", "0x7f.0.0.1") that no proxy writes and that could smuggle an address.
 */
function parseAddress(text: string): Address | undefined {
  if (isIP(text) === 0) return undefined;
  try {
    const address = ipaddr.parse(text);
    return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
  } catch {
    return undefined;
  }
}
