import { describe, expect, it } from 'vitest';
import { compileNetworks } from './networks.js';

const aliases = { office: ['10.1.0.0/16', '2001:db8:1::/48'], vpn: ['192.168.50.0/24'], admin_host: ['10.9.9.9'] };

describe('compileNetworks', () => {
  const internal = compileNetworks(['10.0.0.0/8', '172.16.0.0/12', 'fd00::/8', '203.0.113.7'], {});

  it.each([
    ['10.0.0.0', true],
    ['10.1.2.3', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['9.255.255.255', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['172.15.255.255', false],
    ['203.0.113.7', true],
    ['203.0.113.8', false],
    ['fd00::1', true],
    ['fdff:ffff::1', true],
    ['fe00::1', false],
    ['::ffff:10.1.2.3', true],
    ['::ffff:a01:203', true],
    ['::FFFF:10.1.2.3', true],
    ['0:0:0:0:0:ffff:10.1.2.3', true],
    ['::ffff:11.1.2.3', false],
    ['::ffff:203.0.113.7', true],
    ['::10.1.2.3', false],
    ['64:ff9b::10.1.2.3', false],
    ['::1', false],
    ['127.0.0.1', false],
  ])('%s → %s', (ip, expected) => expect(internal(ip)).toBe(expected));

  it.each([
    [''],
    ['10.1.2'],
    ['010.1.2.3'],
    ['0x0a.1.2.3'],
    ['10.1.2.3.4'],
    ['10.1.2.256'],
    [' 10.1.2.3'],
    ['10.1.2.3 '],
    ['10.1.2.3/8'],
    ['[fd00::1]'],
    ['fd00::1::1'],
    ['unknown'],
    ['10.1.2.3, 1.2.3.4'],
    ['167837955'],
  ])('never matches the unparsable %j', (ip) => {
    expect(internal(ip)).toBe(false);
    expect(compileNetworks(['0.0.0.0/0', '::/0'])(ip)).toBe(false);
  });

  it('resolves alias names from access_control.networks', () => {
    const match = compileNetworks(['office', 'vpn', '127.0.0.1'], aliases);
    expect(match('10.1.200.4')).toBe(true);
    expect(match('10.2.0.1')).toBe(false);
    expect(match('2001:db8:1:ff::1')).toBe(true);
    expect(match('2001:db8:2::1')).toBe(false);
    expect(match('192.168.50.77')).toBe(true);
    expect(match('::ffff:192.168.50.77')).toBe(true);
    expect(match('127.0.0.1')).toBe(true);
    expect(match('10.9.9.9')).toBe(false);
    expect(compileNetworks(['admin_host'], aliases)('10.9.9.9')).toBe(true);
    expect(compileNetworks(['admin_host'], aliases)('10.9.9.8')).toBe(false);
  });

  it('ignores host bits in a range written with them', () => {
    const match = compileNetworks(['10.1.2.3/8', 'fd00::1/16']);
    expect(match('10.200.0.1')).toBe(true);
    expect(match('fd00:ffff::')).toBe(true);
  });

  it.each([
    ['::ffff:10.0.0.0/104', '10.3.4.5', true],
    ['::ffff:10.0.0.0/104', '::ffff:10.3.4.5', true],
    ['::ffff:10.0.0.0/104', '11.3.4.5', false],
    ['::ffff:0:0/96', '1.2.3.4', true],
    ['::/0', '1.2.3.4', true],
    ['::/0', '2001:db8::1', true],
    ['0.0.0.0/0', '::ffff:1.2.3.4', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '1.2.3.4', false],
    ['::ffff:10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '::ffff:10.1.2.3', true],
    ['10.1.2.3/32', '10.1.2.4', false],
    ['::1', '::1', true],
    ['::1/128', '::2', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    // "::10.1.2.3" is IPv4-compatible, not mapped: another address.
    ['::10.0.0.0/104', '10.1.2.3', false],
    ['::10.0.0.0/104', '::10.1.2.3', true],
    ['::10.0.0.0/104', '::a01:203', true],
    ['10.0.0.0/8', '::10.1.2.3', false],
  ])('treats IPv4 and IPv4-mapped IPv6 as one space: %s contains %s → %s', (cidr, ip, expected) => expect(compileNetworks([cidr])(ip)).toBe(expected));

  it('matches nothing when the list is empty', () => {
    expect(compileNetworks([])('10.1.2.3')).toBe(false);
    expect(compileNetworks([])('::1')).toBe(false);
  });

  it.each([
    [['10.0.0/8'], '[0]: "10.0.0/8" is not a CIDR or a network named in access_control.networks'],
    [['10.0.0.0/8', 'nowhere'], '[1]: "nowhere" is not a CIDR'],
    [['10.0.0.0/33'], '[0]'],
    [['fd00::/129'], '[0]'],
    [['10.0.0.0/8/8'], '[0]'],
    [['10.0.0.0/-1'], '[0]'],
    [['10.0.0.0/'], '[0]'],
    [['fe80::1%eth0/64'], '[0]'],
    [['constructor'], '[0]'],
    [['broken'], '[0]: "broken" names "10.0.0/8", which is not a CIDR'],
  ])('throws for %j, naming the entry', (entries, message) => expect(() => compileNetworks(entries, { broken: ['10.0.0/8'] })).toThrow(message));
});
