import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

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
  const ranges = trustedProxies.map(parseRange);
  const v4Ranges = ipv4Ranges(ranges);
  const isTrusted = (address: Address): boolean => ranges.some((range) => address.kind() === range[0].kind() && address.match(range));
  /**
   * The same answer as parseAddress + isTrusted, with the text as ipaddr.js would print it. An
   * address that passed isIP as version 4 (four decimal parts, no leading zeros) prints as
   * written, so the common case is decided on integers without a parse; anything else
   * (IPv6, mapped IPv4, garbage) takes the full path.
   */
  const classify = (text: string): { ip: string; trusted: boolean } | undefined => {
    if (isIP(text) === 4) return { ip: text, trusted: matchesV4(v4Ranges, ipv4Value(text)) };
    const address = parseAddress(text);
    return address && { ip: address.toString(), trusted: isTrusted(address) };
  };

  return (peer, forwardedFor) => {
    const peerIp = normalizePeerAddress(peer);
    if (ranges.length === 0 || peerIp === '') return { ip: peerIp, viaTrustedProxy: false };
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

/** (network, mask) pairs of the IPv4 ranges; IPv6 ranges never match an IPv4 address here. */
function ipv4Ranges(ranges: readonly Range[]): Uint32Array {
  const out: number[] = [];
  for (const [address, bits] of ranges) {
    if (address.kind() !== 'ipv4') continue;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    out.push((ipv4Value(address.toString()) & mask) >>> 0, mask);
  }
  return Uint32Array.from(out);
}

function matchesV4(ranges: Uint32Array, value: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (((value & ranges[i + 1]!) >>> 0) === ranges[i]) return true;
  }
  return false;
}

/** `text` has passed isIP as version 4. */
function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 0x30);
    }
  }
  return (value * 256 + part) >>> 0;
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
