import { describe, expect, it } from 'vitest';
import { generateOtpSecret } from './otp-secret.js';
import { generateHotp } from './generate-otp.js';

describe('generateOtpSecret', () => {
  it.each([
    { algorithm: 'SHA1', bytes: 20 },
    { algorithm: 'SHA256', bytes: 32 },
    { algorithm: 'SHA512', bytes: 64 },
  ] as const)('$algorithm: $bytes random bytes (≥ 160 bits), usable by the generator', ({ algorithm, bytes }) => {
    const secret = generateOtpSecret(algorithm);
    expect(Buffer.isBuffer(secret)).toBe(true);
    expect(secret.length).toBe(bytes);
    expect(secret.length * 8).toBeGreaterThanOrEqual(160);
    expect(generateHotp(secret, 0, { digits: 6, algorithm })).toMatch(/^[0-9]{6}$/);
  });

  it('never repeats (100 secrets, all different, not all zero)', () => {
    const seen = new Set(Array.from({ length: 100 }, () => generateOtpSecret('SHA1').toString('hex')));
    expect(seen.size).toBe(100);
    expect(seen.has('00'.repeat(20))).toBe(false);
  });

  it('throws on an unknown algorithm', () => expect(() => generateOtpSecret('MD5' as 'SHA1')).toThrow(RangeError));
});
