import { describe, expect, it } from 'vitest';
import { generateHotp } from './generate-otp.js';
import { resyncHotp, verifyHotp } from './verify-hotp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
const device = { secret: SECRET, digits: 6, algorithm: 'SHA1' } as const;
const at = (counter: number, digits: 6 | 8 = 6) => generateHotp(SECRET, counter, { digits, algorithm: 'SHA1' });

describe('verifyHotp', () => {
  it.each(RFC4226.map((code, counter) => ({ code, counter })))('RFC 4226 code $code at counter $counter → next $counter + 1', ({ code, counter }) => {
    expect(verifyHotp({ ...device, code, counter, lookAhead: 0 })).toEqual({ ok: true, nextCounter: counter + 1 });
  });

  it.each([
    { counter: 0, codeAt: 0, lookAhead: 10, next: 1 },
    { counter: 0, codeAt: 3, lookAhead: 10, next: 4 },
    { counter: 0, codeAt: 9, lookAhead: 10, next: 10 },
    { counter: 0, codeAt: 10, lookAhead: 10, next: 11 },
    { counter: 0, codeAt: 11, lookAhead: 10, next: null },
    { counter: 5, codeAt: 4, lookAhead: 10, next: null }, // below the counter: used already
    { counter: 5, codeAt: 0, lookAhead: 10, next: null },
    { counter: 5, codeAt: 5, lookAhead: 0, next: 6 },
    { counter: 5, codeAt: 6, lookAhead: 0, next: null },
    { counter: 5, codeAt: 6, lookAhead: 1, next: 7 },
    { counter: 1000, codeAt: 1100, lookAhead: 100, next: 1101 },
    { counter: 1000, codeAt: 1101, lookAhead: 100, next: null },
  ])('counter $counter, look-ahead $lookAhead, code of $codeAt → next $next', ({ counter, codeAt, lookAhead, next }) => {
    const result = verifyHotp({ ...device, code: at(codeAt), counter, lookAhead });
    expect(result).toEqual(next === null ? { ok: false, reason: 'invalid-code' } : { ok: true, nextCounter: next });
  });

  it('a code accepted once is refused once the counter is stored (the counter is the replay floor)', () => {
    const first = verifyHotp({ ...device, code: at(3), counter: 0, lookAhead: 10 });
    expect(first).toEqual({ ok: true, nextCounter: 4 });
    expect(verifyHotp({ ...device, code: at(3), counter: 4, lookAhead: 10 })).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('8-digit, SHA256 and SHA512 tokens', () => {
    const secret256 = Buffer.alloc(32, 7);
    const secret512 = Buffer.alloc(64, 9);
    const code256 = generateHotp(secret256, 42, { digits: 8, algorithm: 'SHA256' });
    const code512 = generateHotp(secret512, 42, { digits: 6, algorithm: 'SHA512' });
    expect(verifyHotp({ secret: secret256, digits: 8, algorithm: 'SHA256', code: code256, counter: 40, lookAhead: 10 })).toEqual({ ok: true, nextCounter: 43 });
    expect(verifyHotp({ secret: secret512, digits: 6, algorithm: 'SHA512', code: code512, counter: 40, lookAhead: 10 })).toEqual({ ok: true, nextCounter: 43 });
    expect(verifyHotp({ secret: secret256, digits: 8, algorithm: 'SHA1', code: code256, counter: 40, lookAhead: 10 }).ok).toBe(false);
    expect(verifyHotp({ ...device, digits: 8, code: at(40), counter: 40, lookAhead: 10 }).ok).toBe(false);
  });

  it.each(['', '75522', '7552240', '755 224', 'abcdef', '٧٥٥٢٢٤', '７５５２２４'])('a code that was not normalized (%j) never matches', (code) => {
    expect(verifyHotp({ ...device, code, counter: 0, lookAhead: 10 })).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it.each([
    { name: 'negative counter', counter: -1, lookAhead: 10 },
    { name: 'fractional counter', counter: 0.5, lookAhead: 10 },
    { name: 'negative look-ahead', counter: 0, lookAhead: -1 },
    { name: 'huge look-ahead', counter: 0, lookAhead: 1001 },
    { name: 'counter at the safe-integer limit', counter: Number.MAX_SAFE_INTEGER - 1, lookAhead: 10 },
  ])('throws on $name', ({ counter, lookAhead }) => {
    expect(() => verifyHotp({ ...device, code: '755224', counter, lookAhead })).toThrow(RangeError);
  });
});

describe('resyncHotp', () => {
  it.each([
    { counter: 0, c1: 0, next: 2 },
    { counter: 0, c1: 15, next: 17 },
    { counter: 0, c1: 99, next: 101 },
    { counter: 50, c1: 149, next: 151 },
    { counter: 50, c1: 60, next: 62 },
  ])('counter $counter, codes of $c1 and $c1 + 1 → next $next', ({ counter, c1, next }) => {
    expect(resyncHotp({ ...device, code1: at(c1), code2: at(c1 + 1), counter })).toEqual({ ok: true, nextCounter: next });
  });

  it.each([
    { name: 'code2 beyond the default window of 100', counter: 0, c1: 100, c2: 101 },
    { name: 'both before the counter', counter: 50, c1: 10, c2: 11 },
    { name: 'code1 just before the counter', counter: 50, c1: 49, c2: 50 },
    { name: 'the same code twice', counter: 0, c1: 30, c2: 30 },
    { name: 'reversed', counter: 0, c1: 31, c2: 30 },
    { name: 'with a gap', counter: 0, c1: 30, c2: 32 },
  ])('refuses $name', ({ counter, c1, c2 }) => {
    expect(resyncHotp({ ...device, code1: at(c1), code2: at(c2), counter })).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('a custom search window widens or narrows the search', () => {
    expect(resyncHotp({ ...device, code1: at(500), code2: at(501), counter: 0, searchWindow: 501 })).toEqual({ ok: true, nextCounter: 502 });
    expect(resyncHotp({ ...device, code1: at(500), code2: at(501), counter: 0, searchWindow: 500 })).toEqual({ ok: false, reason: 'invalid-code' });
    expect(resyncHotp({ ...device, code1: at(5), code2: at(6), counter: 0, searchWindow: 5 })).toMatchObject({ ok: false });
  });

  it('a single code far out is refused by verifyHotp but the pair resyncs', () => {
    expect(verifyHotp({ ...device, code: at(60), counter: 0, lookAhead: 10 }).ok).toBe(false);
    const resynced = resyncHotp({ ...device, code1: at(60), code2: at(61), counter: 0 });
    expect(resynced).toEqual({ ok: true, nextCounter: 62 });
    expect(verifyHotp({ ...device, code: at(62), counter: 62, lookAhead: 10 })).toEqual({ ok: true, nextCounter: 63 });
    expect(verifyHotp({ ...device, code: at(61), counter: 62, lookAhead: 10 }).ok).toBe(false);
  });

  it.each([0, -1, 10_001, 2.5])('throws on search window %s', (searchWindow) => {
    expect(() => resyncHotp({ ...device, code1: at(0), code2: at(1), counter: 0, searchWindow })).toThrow(RangeError);
  });
});
