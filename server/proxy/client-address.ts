import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

export interface ClientAddress {
  /** The client's address: the peer, or the first untrusted X-Forwarded-For hop. '' when the socket has none. */
  ip: string;
  /** The peer itself is a trusted proxy (its X-Forwarded-* headers may be believed). */
  viaTrustedProxy: boolean;
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
  const ranges = trustedProxies.map(parseRange);
  const isTrusted = (address: Address): boolean => ranges.some((range) => address.kind() === range[0].kind() && address.match(range));

  return (peer, forwardedFor) => {
    const peerIp = normalizePeerAddress(peer);
    if (ranges.length === 0 || peerIp === '') return { ip: peerIp, viaTrustedProxy: false };
    const peerAddress = parseAddress(peerIp);
    if (!peerAddress || !isTrusted(peerAddress)) return { ip: peerIp, viaTrustedProxy: false };
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    if (header === undefined || header.trim() === '') return { ip: peerIp, viaTrustedProxy: true };
    return { ip: walkForwardedFor(header, isTrusted) ?? peerIp, viaTrustedProxy: true };
  };
}

/** The first untrusted hop from the right, the leftmost if all are trusted; undefined if malformed. */
function walkForwardedFor(header: string, isTrusted: (address: Address) => boolean): string | undefined {
  let end = header.length;
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    const comma = header.lastIndexOf(',', end - 1);
    const entry = header.slice(comma + 1, end).replace(/^[ \t]+|[ \t]+$/g, '');
    const address = parseAddress(entry);
    if (!address) return undefined;
    if (!isTrusted(address) || comma === -1) return address.toString();
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

/** A CIDR or single address from config (validated there), with mapped-IPv4 ranges made IPv4. */
function parseRange(text: string): Range {
  const range: Range = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), text.includes(':') ? 128 : 32];
  const [address, bits] = range;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return range;
}
