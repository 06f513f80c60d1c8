import { describe, expect, it } from 'vitest';
import type { OtpAlgorithm } from '../../storage/storage.js';
import { generateHotp, generateTotp, totpStep } from './generate-otp.js';

// RFC 6238 errata 2866: each algorithm with a key as long as its hash output.
const KEYS: Record<OtpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

// RFC 6238 Appendix B: all 18 vectors (8 digits, 30 s, T0 = 0).
const rfc6238 = [
  { seconds: 59, step: 0x1, SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' },
  { seconds: 1111111109, step: 0x23523ec, SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' },
  { seconds: 1111111111, step: 0x23523ed, SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' },
  { seconds: 1234567890, step: 0x273ef07, SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' },
  { seconds: 2000000000, step: 0x3f940aa, SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' },
  { seconds: 20000000000, step: 0x27bc86aa, SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' },
].flatMap((row) => (['SHA1', 'SHA256', 'SHA512'] as const).map((algorithm) => ({ seconds: row.seconds, step: row.step, algorithm, expected: row[algorithm] })));

// RFC 4226 Appendix D: HOTP, SHA1, 6 digits, counters 0–9.
const rfc4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'].map((expected, counter) => ({ counter, expected }));

describe('generateTotp', () => {
  it('has all 18 RFC 6238 vectors', () => expect(rfc6238).toHaveLength(18));

  it.each(rfc6238)('RFC 6238 $algorithm at $seconds s → $expected', ({ seconds, step, algorithm, expected }) => {
    expect(totpStep(seconds * 1000, 30)).toBe(step);
    expect(generateTotp(KEYS[algorithm], seconds * 1000, { period: 30, digits: 8, algorithm })).toBe(expected);
  });

  it('gives the last 6 digits of the 8-digit value for 6 digits (same truncation, smaller modulus)', () => {
    for (const { seconds, algorithm, expected } of rfc6238) {
      expect(generateTotp(KEYS[algorithm], seconds * 1000, { period: 30, digits: 6, algorithm })).toBe(expected.slice(2));
    }
  });

  it('uses the 60 s step: the code changes on the minute, not the half-minute', () => {
    const params = { period: 60, digits: 6, algorithm: 'SHA1' } as const;
    expect(generateTotp(KEYS.SHA1, 60_000, params)).toBe(generateHotp(KEYS.SHA1, 1, params));
    expect(generateTotp(KEYS.SHA1, 119_999, params)).toBe(generateHotp(KEYS.SHA1, 1, params));
    expect(generateTotp(KEYS.SHA1, 120_000, params)).toBe(generateHotp(KEYS.SHA1, 2, params));
  });
});

describe('totpStep', () => {
  it.each([
    { ms: 0, period: 30, step: 0 },
    { ms: 29_999, period: 30, step: 0 },
    { ms: 30_000, period: 30, step: 1 },
    { ms: 59_999, period: 60, step: 0 },
    { ms: 60_000, period: 60, step: 1 },
    { ms: 1111111109_500, period: 30, step: 0x23523ec },
  ])('$ms ms at $period s → step $step', ({ ms, period, step }) => expect(totpStep(ms, period)).toBe(step));

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses time %s', (ms) => expect(() => totpStep(ms, 30)).toThrow(RangeError));
  it.each([0, -30, 1.5, Number.NaN])('refuses period %s', (period) => expect(() => totpStep(1000, period)).toThrow(RangeError));
});

describe('generateHotp', () => {
  it.each(rfc4226)('RFC 4226 counter $counter → $expected', ({ counter, expected }) => {
    expect(generateHotp(KEYS.SHA1, counter, { digits: 6, algorithm: 'SHA1' })).toBe(expected);
  });

  it('encodes the counter as 8 bytes big-endian: the high word counts', () => {
    // Truncating to 32 bits would make 2^32 + 1 give the code of 1.
    const params = { digits: 8, algorithm: 'SHA1' } as const;
    expect(generateHotp(KEYS.SHA1, 2 ** 32 + 1, params)).not.toBe(generateHotp(KEYS.SHA1, 1, params));
    expect(generateHotp(KEYS.SHA1, Number.MAX_SAFE_INTEGER, params)).toMatch(/^[0-9]{8}$/);
  });

  it.each([
    { name: 'a 15-byte secret', secret: Buffer.alloc(15, 1), counter: 0 },
    { name: 'an empty secret', secret: Buffer.alloc(0), counter: 0 },
    { name: 'a string secret', secret: '12345678901234567890' as unknown as Buffer, counter: 0 },
    { name: 'a negative counter', secret: KEYS.SHA1, counter: -1 },
    { name: 'a fractional counter', secret: KEYS.SHA1, counter: 1.5 },
    { name: 'an unsafe counter', secret: KEYS.SHA1, counter: 2 ** 53 },
  ])('throws on $name (a bug, not user input)', ({ secret, counter }) => {
    expect(() => generateHotp(secret, counter, { digits: 6, algorithm: 'SHA1' })).toThrow(RangeError);
  });

  it('throws on unsupported digits or algorithm', () => {
    expect(() => generateHotp(KEYS.SHA1, 0, { digits: 7 as 6, algorithm: 'SHA1' })).toThrow(RangeError);
    expect(() => generateHotp(KEYS.SHA1, 0, { digits: 6, algorithm: 'MD5' as 'SHA1' })).toThrow(RangeError);
  });
});
