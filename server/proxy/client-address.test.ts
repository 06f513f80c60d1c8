import { describe, expect, it } from 'vitest';
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
    expect(resolve('10.0.0.5', xff)).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true });
  });

  it('walks up to 32 trusted hops', () => {
    const hops = Array.from({ length: 31 }, (_, i) => `10.0.0.${i + 10}`).join(', ');
    expect(resolve('10.0.0.5', `1.2.3.4, ${hops}`)).toEqual({ ip: '1.2.3.4', viaTrustedProxy: true });
  });

  it('falls back on a huge header without throwing', () => {
    expect(resolve('10.0.0.5', '10.0.0.1,'.repeat(100_000) + '10.0.0.2')).toEqual({ ip: '10.0.0.5', viaTrustedProxy: true });
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
