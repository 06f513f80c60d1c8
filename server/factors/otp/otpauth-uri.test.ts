import { describe, expect, it } from 'vitest';
import { decodeBase32 } from './base32.js';
import { otpauthUri, type OtpauthUriInput } from './otpauth-uri.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');
const input = (overrides: Partial<OtpauthUriInput> = {}): OtpauthUriInput => ({
  issuer: 'Gatehouse',
  account: 'alice',
  secret: SECRET,
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  ...overrides,
});

/** Reads a URI back the way an authenticator app does (Key Uri Format). */
function parse(uri: string) {
  const url = new URL(uri);
  const label = decodeURIComponent(url.pathname.replace(/^\/\//, '').replace(/^\//, ''));
  const [labelIssuer, account] = label.split(':');
  return { protocol: url.protocol, type: url.host, labelIssuer, account, params: Object.fromEntries(url.searchParams) };
}

describe('otpauthUri', () => {
  it('writes the Key Uri Format with every parameter', () => {
    expect(otpauthUri(input())).toBe('otpauth://totp/Gatehouse:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30');
  });

  it.each([
    { algorithm: 'SHA256', digits: 8, period: 60 },
    { algorithm: 'SHA512', digits: 6, period: 30 },
  ] as const)('carries $algorithm, $digits digits, $period s', (params) => {
    const parsed = parse(otpauthUri(input(params)));
    expect(parsed.params).toMatchObject({ algorithm: params.algorithm, digits: String(params.digits), period: String(params.period) });
  });

  it('holds the secret in base32 without padding, decoding to the same bytes', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const { params } = parse(otpauthUri(input({ secret })));
    expect(params.secret).not.toContain('=');
    expect(decodeBase32(params.secret!)).toEqual(secret);
  });

  it.each([
    { issuer: 'ACME Co', account: 'john.doe@email.com', raw: 'ACME%20Co:john.doe%40email.com', issuerParam: 'ACME%20Co' },
    { issuer: 'A&B=C?D#E', account: 'bob', raw: 'A%26B%3DC%3FD%23E:bob', issuerParam: 'A%26B%3DC%3FD%23E' },
    { issuer: 'Gate/house', account: 'a+b', raw: 'Gate%2Fhouse:a%2Bb', issuerParam: 'Gate%2Fhouse' },
    { issuer: '門禁', account: '陳大文', raw: '%E9%96%80%E7%A6%81:%E9%99%B3%E5%A4%A7%E6%96%87', issuerParam: '%E9%96%80%E7%A6%81' },
    { issuer: '100% Corp', account: 'x', raw: '100%25%20Corp:x', issuerParam: '100%25%20Corp' },
  ])('escapes "$issuer" / "$account" in the label and the issuer parameter', ({ issuer, account, raw, issuerParam }) => {
    const uri = otpauthUri(input({ issuer, account }));
    expect(uri).toContain(`otpauth://totp/${raw}?`);
    expect(uri).toContain(`&issuer=${issuerParam}&`);
    expect(uri).not.toMatch(/\+| /); // spaces are %20, never "+" or literal
    const parsed = parse(uri);
    expect(parsed).toMatchObject({ protocol: 'otpauth:', type: 'totp', labelIssuer: issuer, account });
    expect(parsed.params.issuer).toBe(issuer);
  });

  it('puts exactly one literal ":" in the label, between issuer and account', () => {
    const uri = otpauthUri(input({ issuer: 'Big Corp', account: 'carol' }));
    const label = uri.slice('otpauth://totp/'.length, uri.indexOf('?'));
    expect(label.split(':')).toHaveLength(2);
  });

  it.each([
    { name: 'issuer with ":"', issuer: 'Corp:HQ', account: 'alice' },
    { name: 'account with ":"', issuer: 'Corp', account: 'dom:alice' },
    { name: 'empty issuer', issuer: '', account: 'alice' },
    { name: 'empty account', issuer: 'Corp', account: '' },
  ])('throws on $name (apps would split the label wrongly)', ({ issuer, account }) => {
    expect(() => otpauthUri(input({ issuer, account }))).toThrow(RangeError);
  });
});
