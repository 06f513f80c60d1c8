import { describe, expect, it } from 'vitest';
import { decodeBase32, decodeTokenSecret } from './token-secret.js';

describe('decodeBase32', () => {
  // RFC 4648 §10 test vectors.
  it.each([
    ['MY======', 'f'],
    ['MZXQ====', 'fo'],
    ['MZXW6===', 'foo'],
    ['MZXW6YQ=', 'foob'],
    ['MZXW6YTB', 'fooba'],
    ['MZXW6YTBOI======', 'foobar'],
    ['MZXW6YTBOI', 'foobar'],
    ['mzxw6ytboi', 'foobar'],
  ])('%s → %s', (text, expected) => {
    expect(decodeBase32(text)).toEqual({ ok: true, secret: Buffer.from(expected) });
  });

  it.each([
    ['', 'empty'],
    ['======', 'empty'],
    ['MZXW6YTB1', 'only A-Z and 2-7'],
    ['MZXW 6YTB', 'only A-Z and 2-7'],
    ['MZX=W6YT', 'only A-Z and 2-7'],
    ['MZXW6YTBO', 'wrong length'],
    ['MZXW6YTBOIA', 'wrong length'],
    ['MZXQ==', 'wrong padding'],
    ['MZXW6YQ==', 'wrong padding'],
    ['MZ', 'non-zero trailing bits'],
    ['MZXR', 'non-zero trailing bits'],
    ['MZXW6YTBOIß', 'only A-Z and 2-7'],
    ['ſZXW6YTB', 'only A-Z and 2-7'],
    ['MZXW6YTBOı', 'only A-Z and 2-7'],
  ])('refuses %j (%s)', (text, why) => {
    const result = decodeBase32(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(why);
  });
});

describe('decodeTokenSecret tells hex from base32 strictly', () => {
  const hex20 = '3132333435363738393031323334353637383930';
  const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  const ascii = Buffer.from('12345678901234567890');

  it.each([
    ['hex with 0-9', hex20],
    ['hex in lower case with 0/1/8/9', 'a1b2c3d4e5f60718293a4b5c6d7e8f9001122334'],
    ['hex: prefix', `hex:${hex20}`],
    ['HEX: prefix', `HEX:${hex20}`],
  ])('%s is hex', (_name, text) => {
    const result = decodeTokenSecret(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.secret.length).toBeGreaterThan(0);
  });

  it.each([
    ['base32 with G-Z', base32],
    ['lower-case base32', base32.toLowerCase()],
    ['base32: prefix', `base32:${base32}`],
  ])('%s is base32', (_name, text) => {
    expect(decodeTokenSecret(text)).toEqual({ ok: true, secret: ascii });
  });

  it('an explicit prefix settles the ambiguous case, and each reading differs', () => {
    const ambiguous = 'ABCDEF234567ABCDEF234567ABCDEF23';
    expect(decodeTokenSecret(ambiguous)).toEqual({ ok: false, reason: expect.stringContaining('could be hex or base32') });
    const asHex = decodeTokenSecret(`hex:${ambiguous}`);
    const asBase32 = decodeTokenSecret(`base32:${ambiguous}`);
    expect(asHex.ok && asBase32.ok && asHex.secret.equals(asBase32.secret)).toBe(false);
    expect(asHex).toEqual({ ok: true, secret: Buffer.from(ambiguous, 'hex') });
  });

  it.each([
    ['odd hex', '313233343', 'not valid hex (an even number'],
    ['hex with a stray letter', '31323334353637383930313233343536373839zz', 'neither hex nor base32'],
    ['hex with punctuation', '3132333435363738:39303132', 'not valid hex'],
    ['hex with spaces', '3132 3334 3536 3738 3930', 'not valid hex'],
    ['0x prefix', '0x31323334353637383930', 'neither hex nor base32'],
    ['hex: prefix with base32', `hex:${base32}`, 'not valid hex'],
    ['base32: prefix with hex', `base32:${hex20}`, 'not valid base32'],
    ['empty', '', 'empty'],
    ['punctuation', '!!!!', 'neither hex nor base32'],
    ['non-ASCII digits', '٣١٣٢٣٣٣٤', 'neither hex nor base32'],
    ['full-width', 'ＡＢＣＤ', 'neither hex nor base32'],
  ])('refuses %s', (_name, text, why) => {
    const result = decodeTokenSecret(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(why);
  });
});
