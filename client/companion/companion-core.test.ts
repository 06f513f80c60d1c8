import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  answerText,
  authorizationHeader,
  clockOffset,
  decodeBase32,
  decodeBase64Url,
  deviceRequestText,
  encodeBase32,
  encodeBase64Url,
  generateHotp,
  generateTotp,
  isClockWrong,
  litSegments,
  msRemaining,
  normalizeNumber,
  parseHash,
  pickLocale,
  sha256Base64Url,
  signedQuery,
  type OtpAlgorithm,
} from './companion-core.js';

const ascii = (s: string) => new TextEncoder().encode(s);
// RFC 6238 appendix B: each algorithm with its own key length (20, 32 and 64 bytes).
const KEYS: Record<OtpAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: [number, OtpAlgorithm, string][] = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

describe('TOTP on WebCrypto', () => {
  it.each(VECTORS)('RFC 6238 at %i s with %s → %s (8 digits)', async (seconds, algorithm, code) => {
    expect(await generateTotp(KEYS[algorithm], seconds * 1000, { algorithm, digits: 8, period: 30 })).toBe(code);
  });

  it.each(VECTORS)('6 digits are the last six of the 8-digit code (%i s, %s)', async (seconds, algorithm, code) => {
    expect(await generateTotp(KEYS[algorithm], seconds * 1000, { algorithm, digits: 6, period: 30 })).toBe(code.slice(2));
  });

  it('RFC 4226 appendix D HOTP values (6 digits, SHA1)', async () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    const codes = await Promise.all(expected.map((_, counter) => generateHotp(KEYS.SHA1, counter, { algorithm: 'SHA1', digits: 6 })));
    expect(codes).toEqual(expected);
  });

  it('the whole period gives the same code, the next period another', async () => {
    const params = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
    const start = 1_700_000_010_000; // a period boundary (divisible by 30 s)
    const first = await generateTotp(KEYS.SHA1, start, params);
    expect(await generateTotp(KEYS.SHA1, start + 29_999, params)).toBe(first);
    expect(await generateTotp(KEYS.SHA1, start + 30_000, params)).not.toBe(first);
  });

  it.each([
    ['an unknown algorithm', { algorithm: 'MD5', digits: 6 }],
    ['7 digits', { algorithm: 'SHA1', digits: 7 }],
  ])('refuses %s', async (_, params) => {
    await expect(generateHotp(KEYS.SHA1, 1, params as never)).rejects.toThrow(RangeError);
  });
});

describe('base32 and base64url', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('RFC 4648 base32 of "%s" is %s, and back', (plain, encoded) => {
    expect(encodeBase32(ascii(plain))).toBe(encoded);
    expect(new TextDecoder().decode(decodeBase32(encoded))).toBe(plain);
  });

  it('decoding forgives lower case, spaces and padding', () => {
    expect(decodeBase32('mzxw 6ytb oi======')).toEqual(ascii('foobar'));
  });

  it.each(['MZXW1', 'MZ XW!', '0O8'])('refuses a character outside the alphabet: %s', (text) => {
    expect(() => decodeBase32(text)).toThrow(RangeError);
  });

  it('base64url has no padding and matches Node for every length', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 73 + n * 31) & 0xff);
      const encoded = encodeBase64Url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(decodeBase64Url(encoded)).toEqual(bytes);
    }
  });

  it.each(['a+b', 'a/b', 'ab==', 'a b'])('base64url decoding refuses %s', (text) => {
    expect(() => decodeBase64Url(text)).toThrow(RangeError);
  });
});

describe('signed texts (the contract, byte for byte)', () => {
  it('a device request signs method, path without query, time and the body hash', async () => {
    const body = JSON.stringify({ subscription: null });
    const bodyHash = await sha256Base64Url(body);
    expect(bodyHash).toBe(createHash('sha256').update(body).digest('base64url'));
    expect(deviceRequestText({ method: 'put', path: '/auth/api/push/v1/subscription', t: 1_700_000_000_123, bodyHash })).toBe(
      `gatehouse-device-v1\nPUT\n/auth/api/push/v1/subscription\n1700000000123\n${bodyHash}`,
    );
  });

  it('an empty body hashes as the empty string does', async () => {
    expect(await sha256Base64Url('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });

  it.each([
    ['approve', '42', 'gatehouse-push-answer-v1\nap1\napprove\n42\n1700000000000'],
    ['deny', '42', 'gatehouse-push-answer-v1\nap1\ndeny\n\n1700000000000'],
    ['not_me', '', 'gatehouse-push-answer-v1\nap1\nnot_me\n\n1700000000000'],
  ] as const)('the answer %s with number "%s"', (decision, number, text) => {
    expect(answerText({ approvalId: 'ap1', decision, number, time: 1_700_000_000_000 })).toBe(text);
  });

  it('the header and the EventSource query carry id, t and sig', () => {
    expect(authorizationHeader({ id: 'dev1', t: 5, sig: 'ab_-' })).toBe('Gatehouse-Device id=dev1,t=5,sig=ab_-');
    expect(signedQuery({ id: 'dev1', t: 5, sig: 'ab_-' })).toBe('?id=dev1&t=5&sig=ab_-');
  });

  it('a WebCrypto P-256 signature over the answer text verifies in Node as ieee-p1363', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const spki = encodeBase64Url(await crypto.subtle.exportKey('spki', keys.publicKey));
    const text = answerText({ approvalId: 'ap1', decision: 'approve', number: '42', time: 1 });
    const sig = encodeBase64Url(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, ascii(text)));
    expect(decodeBase64Url(sig)).toHaveLength(64);
    const key = createPublicKey({ key: Buffer.from(spki, 'base64url'), format: 'der', type: 'spki' });
    expect(verify('sha256', Buffer.from(text), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))).toBe(true);
    const other = answerText({ approvalId: 'ap1', decision: 'approve', number: '43', time: 1 });
    expect(verify('sha256', Buffer.from(other), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))).toBe(false);
  });
});

describe('clock and ring', () => {
  it.each([
    [0, false],
    [180_000, false],
    [-180_000, false],
    [180_001, true],
    [-180_001, true],
    [3_600_000, true],
  ])('offset %i ms → warning %s', (offset, warn) => {
    expect(isClockWrong(offset)).toBe(warn);
  });

  it('the offset is server minus phone', () => {
    expect(clockOffset(1_000_500, 1_000_000)).toBe(500);
    expect(clockOffset(1_000_000, 1_240_000)).toBe(-240_000);
  });

  it.each([
    [0, 30_000, 10],
    [1, 29_999, 10],
    [2_999, 27_001, 10],
    [3_000, 27_000, 9],
    [3_001, 26_999, 9],
    [15_000, 15_000, 5],
    [26_999, 3_001, 2],
    [27_000, 3_000, 1],
    [29_999, 1, 1],
  ])('%i ms into a 30 s period: %i ms left, %i segments lit', (into, left, lit) => {
    const t = 1_700_000_010_000 + into;
    expect(msRemaining(t, 30)).toBe(left);
    expect(litSegments(t, 30)).toBe(lit);
  });

  it('a 60 s period has 6 s segments', () => {
    expect(litSegments(1_700_000_040_000 + 6_000, 60)).toBe(9);
  });
});

describe('inputs', () => {
  it.each([
    ['42', '42'],
    [' 42 ', '42'],
    ['10', '10'],
    ['99', '99'],
    ['09', undefined],
    ['4', undefined],
    ['420', undefined],
    ['4a', undefined],
    ['', undefined],
    ['٤٢', undefined],
  ])('number field "%s" → %s', (text, number) => {
    expect(normalizeNumber(text)).toBe(number);
  });

  it.each([
    [['zh-TW'], 'zh-TW'],
    [['zh-Hant-TW', 'en'], 'zh-TW'],
    [['zh-HK'], 'zh-TW'],
    [['zh-hant'], 'zh-TW'],
    [['fr-FR', 'zh-TW'], 'zh-TW'],
    [['en-US', 'zh-TW'], 'en'],
    [['zh-CN'], 'en'],
    [[], 'en'],
    [['de'], 'en'],
  ] as const)('languages %j → %s', (languages, locale) => {
    expect(pickLocale(languages)).toBe(locale);
  });

  it.each([
    ['#enroll=abcdefghijklmnopqrstuvwxyzABCDEF0123456789_-', { kind: 'enroll', token: 'abcdefghijklmnopqrstuvwxyzABCDEF0123456789_-' }],
    ['#approval=Ab_-9', { kind: 'approval', approvalId: 'Ab_-9' }],
    ['#enroll=short', { kind: 'none' }],
    ['#enroll=<script>alert(1)</script>aaaaaaaaaaaa', { kind: 'none' }],
    ['#approval=../../x', { kind: 'none' }],
    ['', { kind: 'none' }],
  ])('the address hash %s', (hash, parsed) => {
    expect(parseHash(hash)).toEqual(parsed);
  });
});
