import { describe, expect, it } from 'vitest';
import { isWithin, nameFromDn, normalizeDn, parseDn } from './dn.js';

describe('parseDn', () => {
  it.each([
    ['cn=dev,ou=groups,dc=corp,dc=test', [[{ type: 'cn', value: 'dev' }], [{ type: 'ou', value: 'groups' }], [{ type: 'dc', value: 'corp' }], [{ type: 'dc', value: 'test' }]]],
    ['CN=Smith\\, John,OU=People', [[{ type: 'CN', value: 'Smith, John' }], [{ type: 'OU', value: 'People' }]]],
    ['cn=caf\\c3\\a9,dc=x', [[{ type: 'cn', value: 'café' }], [{ type: 'dc', value: 'x' }]]],
    ['cn=陳柏宇 Bob,dc=x', [[{ type: 'cn', value: '陳柏宇 Bob' }], [{ type: 'dc', value: 'x' }]]],
    [
      'cn=a+uid=b,dc=x',
      [
        [
          { type: 'cn', value: 'a' },
          { type: 'uid', value: 'b' },
        ],
        [{ type: 'dc', value: 'x' }],
      ],
    ],
    ['cn=trailing\\ ,dc=x', [[{ type: 'cn', value: 'trailing ' }], [{ type: 'dc', value: 'x' }]]],
    ['cn=a\\+b\\=c\\\\d\\"e,dc=x', [[{ type: 'cn', value: 'a+b=c\\d"e' }], [{ type: 'dc', value: 'x' }]]],
    ['', []],
  ])('%s', (dn, expected) => expect(parseDn(dn)).toEqual(expected));

  it.each(['cn', 'cn=a\\zz,dc=x', '=a,dc=x', 'c n=a', 'cn=a\\'])('refuses %j', (dn) => expect(parseDn(dn)).toBeUndefined());
});

describe('nameFromDn', () => {
  it('takes the first RDN value of the name attribute, case-insensitively', () => {
    expect(nameFromDn('CN=Domain Admins,CN=Users,DC=corp', 'cn')).toBe('Domain Admins');
    expect(nameFromDn('cn=Smith\\, John,ou=g', 'CN')).toBe('Smith, John');
    expect(nameFromDn('ou=dev,dc=corp', 'cn')).toBeUndefined();
    expect(nameFromDn('not a dn', 'cn')).toBeUndefined();
  });
});

describe('isWithin', () => {
  it.each([
    ['cn=dev,ou=groups,dc=corp', 'ou=groups,dc=corp', true],
    ['CN=Dev, OU=Groups, DC=Corp', 'ou=groups,dc=corp', true],
    ['ou=groups,dc=corp', 'ou=groups,dc=corp', true],
    ['cn=dev,ou=roles,dc=corp', 'ou=groups,dc=corp', false],
    ['cn=dev,ou=xgroups,dc=corp', 'ou=groups,dc=corp', false],
    // A value that spells a parent is still one RDN.
    ['cn=x\\,ou=groups\\,dc=corp,dc=corp', 'ou=groups,dc=corp', false],
    ['cn=x,dc=corp', '', true],
    ['garbage', 'dc=corp', false],
  ])('%s within %s: %s', (dn, base, expected) => expect(isWithin(dn, base)).toBe(expected));

  it('normalizeDn spells one entry one way', () => {
    expect(normalizeDn('CN=Dev, OU=Groups')).toBe(normalizeDn('cn=dev,ou=groups'));
    expect(normalizeDn('cn=a\\,b')).not.toBe(normalizeDn('cn=a,cn=b'));
  });
});
