/** RFC 4648 §6 base32, the encoding of OTP secrets in otpauth:// URIs and token files. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const VALUES = new Map([...ALPHABET].map((char, value) => [char, value]));

/** Upper case, without "=" padding (what otpauth:// URIs use). */
export function encodeBase32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

// Valid unpadded lengths mod 8, and the padding each needs: 1, 3 and 6 characters never end
// a canonical encoding.
const PADDING: Record<number, number> = { 0: 0, 2: 6, 4: 4, 5: 3, 7: 1 };

/**
 * Decodes a secret a person may have typed or a file may hold. Tolerant of lower case, and of
 * ASCII spaces anywhere (secrets are shown in groups of four). Strict otherwise: undefined for
 * any other character, a length no encoding produces, padding that is not exactly right, or
 * non-zero leftover bits (a second spelling of the same bytes).
 */
export function decodeBase32(text: string): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  // ASCII-only upper-casing: toUpperCase() would turn "ß" into "SS" and "ı" into "I".
  const compact = text.replaceAll(' ', '').replace(/[a-z]/g, (char) => char.toUpperCase());
  const body = compact.replace(/=+$/, '');
  const padding = compact.length - body.length;
  const expectedPadding = PADDING[body.length % 8];
  if (expectedPadding === undefined) return undefined;
  if (padding !== 0 && padding !== expectedPadding) return undefined;

  const out = Buffer.alloc(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of body) {
    const value = VALUES.get(char);
    if (value === undefined) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
