import { describe, expect, it } from 'vitest';
import { hashToken, randomToken } from './random.js';

describe('hashToken', () => {
  // FIPS 180-2 test vector "abc", in base64url: stored session keys must not change across versions.
  it('is SHA-256 in base64url', () => {
    expect(hashToken('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('hashes text as UTF-8 (é is C3 A9)', () => {
    expect(hashToken('é')).toBe('SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw_biumnEw');
  });
});

describe('randomToken', () => {
  it.each([16, 24, 32])('gives %i random bytes as base64url, different each time', (bytes) => {
    const tokens = new Set(Array.from({ length: 50 }, () => randomToken(bytes)));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(bytes);
  });
});
