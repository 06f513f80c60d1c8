import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { compileNetworks } from '../policy/networks.js';
import { createClientAddressResolver, normalizePeerAddress } from './client-address.js';

const resolve = createClientAddressResolver(['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::ffff:172.16.0.0/108']);

describe('createClientAddressResolver: untrusted peers', () => {
  it.each([
    ['203.0.113.7', '1.2.3.4', '203.0.113.7'],
    ['203.0.113.7', '10.0.0.1, 1.2.3.4', '203.0.113.7'],
    ['::ffff:203.0.113.7', '1.2.3.4', '203.0.113.7'],
    ['2001:db8::1', '10.0.0.1', '2001:db8::1'],
    ['192.168.1.2', '1.2.3.4', '192.168.1.2'],
    ['11.0.0.1', '1.2.3.4', '11.0.0.1'],
    ['fe00::1', '1.2.3.4', 'fe00::1'],
  ])('peer %s ignores X-Forwarded-For %j entirely', (peer, xff, ip) => {
    expect(resolve(peer, xff)).toEqual({ ip, viaTrustedProxy: false });
  });

  it('ignores every instance of the header from an untrusted peer', () => {
    expect(resolve('203.0.113.7', ['1.2.3.4', '5.6.7.8'])).toEqual({ ip: '203.0.113.7', viaTrustedProxy: false });
  });

  it('trusts nobody when no proxies are configured, not even loopback', () => {
    expect(createClientAddressResolver([])('127.0.0.1', '1.2.3.4')).toEqual({ ip: '127.0.0.1', viaTrustedProxy: false });
  });

  it.each([undefined, '', 'not-an-ip', '1.2.3'])('a peer without a usable address (%j) yields no address', (peer) => {
    expect(resolve(peer, '1.2.3.4')).toEqual({ ip: '', viaTrustedProxy: false });
  });
});

describe('createClientAddressResolver: trusted peers', () => {
  it.each([
    ['10.0.0.5', '1.2.3.4', '1.2.3.4'],
    ['10.0.0.5', '1.2.3.4, 10.0.0.9', '1.2.3.4'],
    ['10.0.0.5', '6.6.6.6, 1.2.3.4, 10.0.0.9, 10.1.1.1', '1.2.3.4'],
    ['10.0.0.5', ' 1.2.3.4 ,\t10.0.0.9\t', '1.2.3.4'],
    ['10.0.0.5', '10.0.0.7, 10.0.0.8', '10.0.0.7'],
    ['10.0.0.5', '10.0.0.7', '10.0.0.7'],
    ['::ffff:10.0.0.5', '1.2.3.4', '1.2.3.4'],
    ['192.168.1.1', '1.2.3.4', '1.2.3.4'],
    ['10.0.0.5', '::ffff:1.2.3.4', '1.2.3.4'],
    ['10.0.0.5', '1.2.3.4, ::ffff:10.9.9.9', '1.2.3.4'],
    ['fd00::1', '2001:db8::7', '2001:db8::7'],
    ['fd00::1', '2001:DB8:0:0:0:0:0:7, fd12::1', '2001:db8::7'],
    ['10.0.0.5', '2001:db8::7, fd00::2', '2001:db8::7'],
    ['172.16.0.9', '1.2.3.4', '1.2.3.4'],
    ['::ffff:172.16.0.9', '1.2.3.4, 172.16.5.5', '1.2.3.4'],
  ])('peer %s with X-Forwarded-For %j → %s', (peer, xff, ip) => {
    expect(resolve(peer, xff)).toEqual({ ip, viaTrustedProxy: true });
  });

  it('joins repeated header instances before walking, rightmost last', () => {
    expect(resolve('10.0.0.5', ['9.9.9.9', '1.2.3.4, 10.0.0.8'])).toEqual({ ip: '1.2.3.4', viaTrustedProxy: true });
    expect(resolve('10.0.0.5', ['9.9.9.9', '10.0.0.8'])).toEqual({ ip: '9.9.9.9', viaTrustedProxy: true });
  });

  it.each([undefined, '', '   ', []])('no X-Forwarded-For (%j) means the peer is the client', (xff) => {
    expect(resolve('10.0.0.5', xff as string | string[] | undefined)).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true });
  });

  it('does not read past the first untrusted hop, whatever is written left of it', () => {
    expect(resolve('10.0.0.5', 'garbage, <script>, , 1.2.3.4')).toEqual({ ip: '1.2.3.4', viaTrustedProxy: true });
    expect(resolve('10.0.0.5', `${'x,'.repeat(500)}1.2.3.4`)).toEqual({ ip: '1.2.3.4', viaTrustedProxy: true });
  });
});

describe('createClientAddressResolver: malformed X-Forwarded-For falls back to the peer', () => {
  it.each([
    ',',
    ', ',
    '1.2.3.4,',
    '1.2.3.4, ',
    '1.2.3.4,,10.0.0.9',
    'unknown',
    '_hidden',
    'garbage',
    '1.2.3.4:8080',
    '[2001:db8::1]',
    '[2001:db8::1]:443',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '127.1',
    '0x7f.0.0.1',
    '2130706433',
    '1.2.3.4/32',
    '1.2.3.4 5.6.7.8',
    '1.2.3.4;10.0.0.1',
    '1.2.3.4\u00a0',
    '１.２.３.４',
    '2001:db8:::1',
    'for=1.2.3.4',
    '"1.2.3.4"',
    '1.2.3.4, 10.0.0.9, nonsense, 10.0.0.8',
    'nonsense, 10.0.0.9',
    `1.2.3.4, ${Array.from({ length: 32 }, (_, i) => `10.0.0.${i + 10}`).join(', ')}`,
  ])('%j', (xff) => {
    expect(resolve('10.0.0.5', xff)).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true, forwardedForMalformed: true });
  });

  it('walks up to 32 trusted hops', () => {
    const hops = Array.from({ length: 31 }, (_, i) => `10.0.0.${i + 10}`).join(', ');
    expect(resolve('10.0.0.5', `1.2.3.4, ${hops}`)).toEqual({ ip: '1.2.3.4', viaTrustedProxy: true });
  });

  it('falls back on a huge header without throwing', () => {
    expect(resolve('10.0.0.5', '10.0.0.1,'.repeat(100_000) + '10.0.0.2')).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true, forwardedForMalformed: true });
  });
});

describe('normalizePeerAddress', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    [undefined, ''],
    ['nonsense', ''],
  ])('%j → %j', (peer, expected) => expect(normalizePeerAddress(peer)).toBe(expected));
});

describe('createClientAddressResolver: the integer path for IPv4 agrees with a full parse', () => {
  // The resolver as a full parse decides it: every address through ipaddr.js.
  function reference(trusted: readonly string[]) {
    const parse = (text: string) => {
      if (isIP(text) === 0) return undefined;
      const a = ipaddr.parse(text);
      return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
    };
    const ranges = trusted.map((t) => {
      const [a, bits] = t.includes('/') ? ipaddr.parseCIDR(t) : ([ipaddr.parse(t), t.includes(':') ? 128 : 32] as const);
      return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96 ? ([(a as ipaddr.IPv6).toIPv4Address(), bits - 96] as const) : ([a, bits] as const);
    });
    // IPv4 and IPv4-mapped IPv6 are one address space (policy/networks.ts): an IPv6 range that
    // covers ::ffff:a.b.c.d covers a.b.c.d, as it does in a rule's networks.
    const covers = (a: ipaddr.IPv4 | ipaddr.IPv6, [r, bits]: readonly [ipaddr.IPv4 | ipaddr.IPv6, number]) =>
      a.kind() === r.kind() ? a.match([r, bits] as never) : a.kind() === 'ipv4' && (a as ipaddr.IPv4).toIPv4MappedAddress().match([r, bits] as never);
    const isTrusted = (a: ipaddr.IPv4 | ipaddr.IPv6) => ranges.some((range) => covers(a, range));
    return (peer: string, xff: string | undefined) => {
      const p = parse(peer);
      if (!p || ranges.length === 0) return { ip: p?.toString() ?? '', viaTrustedProxy: false };
      if (!isTrusted(p)) return { ip: p.toString(), viaTrustedProxy: false };
      if (xff === undefined || xff.trim() === '') return { ip: p.toString(), viaTrustedProxy: true };
      const hops = xff.split(',').map((h) => h.replace(/^[ \t]+|[ \t]+$/g, ''));
      for (let i = hops.length - 1; i >= 0 && hops.length - i <= 32; i--) {
        const a = parse(hops[i]!);
        if (!a) return { ip: p.toString(), viaTrustedProxy: true, forwardedForMalformed: true };
        if (!isTrusted(a) || i === 0) return { ip: a.toString(), viaTrustedProxy: true };
      }
      return { ip: p.toString(), viaTrustedProxy: true, forwardedForMalformed: true };
    };
  }

  const configs = [
    ['10.0.0.0/8', '192.168.1.1'],
    ['0.0.0.0/0'],
    ['::/0'],
    ['::ffff:10.0.0.0/104', '127.0.0.1'],
    ['172.16.0.0/12', 'fd00::/8', '::ffff:192.0.2.0/120'],
    ['10.1.2.3/32', '10.1.2.0/31', '255.255.255.255'],
  ];
  const addresses = [
    '10.1.2.3',
    '10.255.0.1',
    '11.0.0.1',
    '127.0.0.1',
    '192.168.1.1',
    '192.168.1.2',
    '172.16.5.4',
    '172.32.0.1',
    '192.0.2.77',
    '0.0.0.0',
    '255.255.255.255',
    '10.1.2.0',
    '10.1.2.1',
    '10.1.2.2',
    '::ffff:10.1.2.3',
    'fd00::1',
    '2001:db8::1',
    '::1',
    '010.1.2.3',
    '10.1.2',
    '1.2.3.4 ',
    'x',
  ];

  it.each(configs.map((c) => [c.join(' ')] as const))('trusted %s: every peer and hop decided as the full parse decides it', (joined) => {
    const trusted = joined.split(' ');
    const fast = createClientAddressResolver(trusted);
    const slow = reference(trusted);
    for (const peer of addresses) {
      for (const xff of [undefined, ...addresses, ...addresses.map((a) => `6.6.6.6, ${a}, 10.1.2.3`), '1.2.3.4,,10.0.0.1']) {
        expect(fast(peer, xff), `${peer} / ${xff}`).toEqual(slow(peer, xff));
      }
    }
  });
});

describe('trusted proxies: one address matcher for the resolver and for every other check of the list', () => {
  const lists = [['10.0.0.0/8', '192.168.1.1'], ['::/0'], ['::/1'], ['::ffff:0:0/96'], ['::ffff:10.0.0.0/104'], ['fd00::/8', '172.16.0.0/12'], ['0.0.0.0/0']];
  const peers = ['10.1.2.3', '::ffff:10.1.2.3', '192.168.1.1', '172.16.9.9', '1.2.3.4', '::ffff:1.2.3.4', 'fd00::1', '2001:db8::1', '::1', '0.0.0.0', 'nonsense'];

  it.each(lists.map((l) => [l.join(' ')] as const))('%s: the resolver trusts a peer exactly when compileNetworks matches it', (joined) => {
    const list = joined.split(' ');
    const resolve = createClientAddressResolver(list);
    const matches = compileNetworks(list);
    for (const peer of peers) {
      const ip = normalizePeerAddress(peer);
      expect([peer, resolve(peer, '203.0.113.9').viaTrustedProxy]).toEqual([peer, ip !== '' && matches(ip)]);
    }
  });
});
