import { asciiLowerCase, asciiUpperCase } from './imported-token.js';

/**
 * Token secrets as vendors write them in CSV files: hex or base32 (RFC 4648, the alphabet of
 * otpauth:// URIs).
 *
 * Which one a value is: an explicit `hex:` or `base32:` prefix decides. Without a prefix the
 * characters decide, strictly: 0, 1, 8 and 9 exist only in hex, G-Z only in base32. A value
 * made only of A-F and 2-7 could be either, and is refused with a request for a prefix rather
 * than guessed: a wrong guess would store a secret that never produces the token's codes.
 * (For a random 160-bit secret that happens about once in 100,000 hex values.)
 */
export type SecretDecodeResult = { ok: true; secret: Buffer } | { ok: false; reason: string };

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Unpadded length mod 8 of a whole number of bytes: 1, 3 and 6 cannot occur. */
const BASE32_VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);

export function decodeTokenSecret(text: string): SecretDecodeResult {
  const prefixed = /^(hex|base32):(.*)$/i.exec(text);
  if (prefixed) {
    const value = prefixed[2]!;
    return asciiLowerCase(prefixed[1]!) === 'hex' ? decodeHex(value) : decodeBase32(value);
  }
  if (text === '') return { ok: false, reason: 'the secret is empty' };
  const hasHexOnly = /[0189]/.test(text);
  const hasBase32Only = /[G-Zg-z=]/.test(text);
  if (hasHexOnly && hasBase32Only) return { ok: false, reason: 'the secret is neither hex nor base32 (it mixes 0, 1, 8 or 9 with letters past F)' };
  if (hasHexOnly) return decodeHex(text);
  if (hasBase32Only) return decodeBase32(text);
  if (/^[A-Fa-f2-7]+$/.test(text)) return { ok: false, reason: 'the secret could be hex or base32: write it as hex:… or base32:…' };
  return { ok: false, reason: 'the secret is neither hex nor base32' };
}

export function decodeHex(text: string): SecretDecodeResult {
  if (!/^[0-9A-Fa-f]*$/.test(text)) return { ok: false, reason: 'the secret is not valid hex (only 0-9 and A-F)' };
  if (text.length === 0 || text.length % 2 !== 0) return { ok: false, reason: 'the secret is not valid hex (an even number of digits is needed)' };
  return { ok: true, secret: Buffer.from(text, 'hex') };
}

/** Strict RFC 4648 base32: either case, padding optional but exact, unused trailing bits zero. */
export function decodeBase32(text: string): SecretDecodeResult {
  const invalid = (why: string): SecretDecodeResult => ({ ok: false, reason: `the secret is not valid base32 (${why})` });
  const upper = asciiUpperCase(text);
  const padding = /=*$/.exec(upper)![0].length;
  const body = upper.slice(0, upper.length - padding);
  if (body.length === 0) return invalid('empty');
  if (!/^[A-Z2-7]*$/.test(body)) return invalid('only A-Z and 2-7, with = padding at the end');
  if (!BASE32_VALID_REMAINDERS.has(body.length % 8)) return invalid('wrong length');
  if (padding > 0 && upper.length % 8 !== 0) return invalid('wrong padding');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of body) {
    buffer = ((buffer << 5) | BASE32_ALPHABET.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return invalid('non-zero trailing bits');
  return { ok: true, secret: Buffer.from(bytes) };
}
