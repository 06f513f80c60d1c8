import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

export type IpMatcher = (ip: string) => boolean;

/**
 * Compiles CIDRs, single addresses and names from `access_control.networks` into one matcher.
 * Throws an Error starting with the entry's index (`[2]: …`) when one is neither; config
 * validation refuses those first, so that is a bug guard.
 *
 * IPv4 and IPv4-mapped IPv6 are one address space: a dual-stack socket reports 10.1.2.3 as
 * ::ffff:10.1.2.3, and that must not slip past a 10.0.0.0/8 rule. So mapped clients are
 * matched as IPv4, and an IPv6 range that covers part of ::ffff:0:0/96 covers those IPv4
 * addresses too (`::/0` is everything).
 */
export function compileNetworks(entries: readonly string[], aliases: Readonly<Record<string, readonly string[]>> = {}): IpMatcher {
  const v4: number[] = [];
  const v6: number[] = [];
  entries.forEach((entry, index) => {
    const cidrs = Object.hasOwn(aliases, entry) ? aliases[entry]! : [entry];
    for (const cidr of cidrs) {
      if (!addRange(cidr, v4, v6)) {
        const what = cidrs.length === 1 && cidr === entry ? 'is not a CIDR or a network named in access_control.networks' : `names "${cidr}", which is not a CIDR`;
        throw new Error(`[${index}]: "${entry}" ${what}`);
      }
    }
  });
  const v4Ranges = Uint32Array.from(v4);
  const v6Ranges = Uint32Array.from(v6);
  return (ip) => {
    const kind = isIP(ip);
    if (kind === 4) return matchV4(v4Ranges, parseV4(ip));
    if (kind !== 6) return false;
    const parts = parseV6(ip);
    if (parts === undefined) return false;
    if (isMapped(parts)) return matchV4(v4Ranges, ((parts[6]! << 16) | parts[7]!) >>> 0);
    return matchV6(v6Ranges, parts);
  };
}

/** Appends (network, mask) pairs: one per IPv4 range, four words each per IPv6 range. */
function addRange(cidr: string, v4: number[], v6: number[]): boolean {
  const [address, prefixText, ...extra] = cidr.split('/');
  if (extra.length > 0 || address === undefined || address.includes('%')) return false;
  const kind = isIP(address);
  if (kind === 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) return false;
  const prefix = prefixText === undefined ? (kind === 4 ? 32 : 128) : Number(prefixText);
  if (prefix > (kind === 4 ? 32 : 128)) return false;
  if (kind === 4) {
    pushV4(v4, parseV4(address), prefix);
    return true;
  }
  const parts = parseV6(address);
  if (parts === undefined) return false;
  if (prefix >= 96 && isMapped(parts)) {
    pushV4(v4, ((parts[6]! << 16) | parts[7]!) >>> 0, prefix - 96);
    return true;
  }
  const words = toWords(parts);
  const masks = [0, 1, 2, 3].map((w) => maskBits(Math.min(32, Math.max(0, prefix - 32 * w))));
  v6.push(...words.map((word, w) => (word & masks[w]!) >>> 0), ...masks);
  // A shorter range that contains ::ffff:0:0/96 contains every IPv4 address.
  if (prefix < 96 && matchV6(Uint32Array.from(v6.slice(-8)), MAPPED_PREFIX)) pushV4(v4, 0, 0);
  return true;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0xffff, 0, 0];

function isMapped(parts: readonly number[]): boolean {
  return parts[0] === 0 && parts[1] === 0 && parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0xffff;
}

function pushV4(v4: number[], address: number, prefix: number): void {
  const mask = maskBits(prefix);
  v4.push((address & mask) >>> 0, mask);
}

function maskBits(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function matchV4(ranges: Uint32Array, address: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if ((address & ranges[i + 1]!) >>> 0 === ranges[i]) return true;
  }
  return false;
}

function matchV6(ranges: Uint32Array, parts: readonly number[]): boolean {
  const w0 = ((parts[0]! << 16) | parts[1]!) >>> 0;
  const w1 = ((parts[2]! << 16) | parts[3]!) >>> 0;
  const w2 = ((parts[4]! << 16) | parts[5]!) >>> 0;
  const w3 = ((parts[6]! << 16) | parts[7]!) >>> 0;
  for (let i = 0; i < ranges.length; i += 8) {
    if (
      (w0 & ranges[i + 4]!) >>> 0 === ranges[i] &&
      (w1 & ranges[i + 5]!) >>> 0 === ranges[i + 1] &&
      (w2 & ranges[i + 6]!) >>> 0 === ranges[i + 2] &&
      (w3 & ranges[i + 7]!) >>> 0 === ranges[i + 3]
    ) {
      return true;
    }
  }
  return false;
}

function toWords(parts: readonly number[]): number[] {
  return [0, 2, 4, 6].map((i) => ((parts[i]! << 16) | parts[i + 1]!) >>> 0);
}

/**
 * `ip` has passed net.isIP as version 6. ipaddr.js reads the deprecated "::10.1.2.3"
 * (IPv4-compatible) as IPv4-mapped; spelling a dotted tail in hex first keeps them apart.
 */
function parseV6(ip: string): number[] | undefined {
  const zone = ip.indexOf('%');
  let address = zone === -1 ? ip : ip.slice(0, zone);
  const lastColon = address.lastIndexOf(':');
  if (address.includes('.', lastColon)) {
    const v4 = parseV4(address.slice(lastColon + 1));
    address = `${address.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  try {
    return ipaddr.IPv6.parse(address).parts;
  } catch {
    return undefined;
  }
}

/** `ip` has passed net.isIP as version 4: four decimal parts, no leading zeros. */
function parseV4(ip: string): number {
  let value = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 0x30);
    }
  }
  return value * 256 + part;
}
