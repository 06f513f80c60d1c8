import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { decodeBase32, encodeBase32 } from './base32.js';

// RFC 4648 §10 test vectors (padding stripped for encoding).
const rfc4648 = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
] as const;

describe('encodeBase32', () => {
  it.each(rfc4648)('RFC 4648 %j → %s without padding', (plain, encoded) => {
    expect(encodeBase32(Buffer.from(plain, 'ascii'))).toBe(encoded.replace(/=+$/, ''));
  });

  it('encodes the RFC 6238 SHA1 key as authenticator apps expect', () => {
    expect(encodeBase32(Buffer.from('12345678901234567890', 'ascii'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('round-trips random secrets of every length 0–70', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      expect(decodeBase32(encodeBase32(bytes))).toEqual(bytes);
    }
  });
});

describe('decodeBase32', () => {
  it.each(rfc4648)('RFC 4648 %j from %s, padded or not', (plain, encoded) => {
    expect(decodeBase32(encoded)?.toString('ascii')).toBe(plain);
    expect(decodeBase32(encoded.replace(/=+$/, ''))?.toString('ascii')).toBe(plain);
  });

  it.each([
    ['lower case', 'gezdgnbvgy3tqojqgezdgnbvgy3tqojq'],
    ['mixed case', 'GezdGNBVgy3tqojqGEZDGNBVGY3TQOJQ'],
    ['groups of four', 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ'],
    ['spaces around', '  GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ '],
  ])('tolerates %s', (_name, text) => {
    expect(decodeBase32(text)?.toString('ascii')).toBe('12345678901234567890');
  });

  it.each([
    ['digit 0', 'MZXW6YT0'],
    ['digit 1', 'MZXW6YT1'],
    ['digit 8', 'MZXW6YT8'],
    ['hyphen', 'MZXW-6YTB'],
    ['tab', 'MZXW\t6YTB'],
    ['newline', 'MZXW\n6YTB'],
    ['no-break space', 'MZXW\u00a06YTB'],
    ['base32hex alphabet', 'CPNMUOJ1'],
    ['sharp s (upper-cases to SS)', 'MZXW6YT\u00df'],
    ['dotless i (upper-cases to I)', 'MZXW6YT\u0131'],
    ['long s (upper-cases to S)', 'MZXW6YT\u017f'],
    ['full-width letters', 'ＭＺＸＷ６ＹＴＢ'],
    ['impossible length 1', 'M'],
    ['impossible length 3', 'MZX'],
    ['impossible length 6', 'MZXW6Y'],
    ['too little padding', 'MY====='],
    ['too much padding', 'MY======='],
    ['padding in the middle', 'MY======MY======'],
    ['padding only', '========'],
    ['non-zero trailing bits (MZ is "f" plus 2 stray bits)', 'MZ'],
    ['non-zero trailing bits in 4 chars', 'MZXR'],
    ['not a string', 42 as unknown as string],
  ])('refuses %s', (_name, text) => expect(decodeBase32(text)).toBeUndefined());
});
