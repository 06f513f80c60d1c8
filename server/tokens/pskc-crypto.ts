import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/**
 * RFC 6030 §6.1: block ciphers in CBC mode, the IV carried in front of the ciphertext. Maps,
 * not object literals: an algorithm named "constructor" must not find Object.prototype's.
 */
const CIPHERS: ReadonlyMap<string, { name: string; keyBytes: number }> = new Map([
  ['http://www.w3.org/2001/04/xmlenc#aes128-cbc', { name: 'aes-128-cbc', keyBytes: 16 }],
  ['http://www.w3.org/2001/04/xmlenc#aes192-cbc', { name: 'aes-192-cbc', keyBytes: 24 }],
  ['http://www.w3.org/2001/04/xmlenc#aes256-cbc', { name: 'aes-256-cbc', keyBytes: 32 }],
]);

/** MAC algorithms (§6.1.1) and PBKDF2 PRFs (§6.2) share these identifiers. */
const HMACS: ReadonlyMap<string, string> = new Map([
  ['http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'sha1'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha1', 'sha1'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha224', 'sha224'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha384', 'sha384'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha512', 'sha512'],
]);

export const PBKDF2_ALGORITHM = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2';
/** A file is data from outside: its iteration count must not be able to stall the command for hours. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const BLOCK = 16;

export function cipherKeyBytes(algorithm: string): number | undefined {
  return CIPHERS.get(algorithm)?.keyBytes;
}

export function hmacHash(algorithm: string): string | undefined {
  return HMACS.get(algorithm);
}

/**
 * Strict base64: whitespace (line wrapping) is allowed; anything outside the alphabet, wrong
 * padding or non-zero unused bits are not (Node would ignore them, so two texts would decode alike).
 */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return undefined;
  const value = Buffer.from(compact, 'base64');
  return value.toString('base64') === compact ? value : undefined;
}

export type DecryptResult = { ok: true; value: Buffer } | { ok: false; reason: 'unsupported-algorithm' | 'wrong-key-length' | 'malformed' | 'bad-padding' };

/** Decrypts IV || ciphertext. A padding failure usually means the wrong key. */
export function decryptCbc(algorithm: string, key: Buffer, data: Buffer): DecryptResult {
  const cipher = CIPHERS.get(algorithm);
  if (!cipher) return { ok: false, reason: 'unsupported-algorithm' };
  if (key.length !== cipher.keyBytes) return { ok: false, reason: 'wrong-key-length' };
  if (data.length < 2 * BLOCK || data.length % BLOCK !== 0) return { ok: false, reason: 'malformed' };
  try {
    const decipher = createDecipheriv(cipher.name, key, data.subarray(0, BLOCK));
    return { ok: true, value: Buffer.concat([decipher.update(data.subarray(BLOCK)), decipher.final()]) };
  } catch {
    return { ok: false, reason: 'bad-padding' };
  }
}

/** Compares in constant time; different lengths are simply unequal. */
export function isMacValid(hash: string, macKey: Buffer, data: Buffer, expected: Buffer): boolean {
  const actual = createHmac(hash, macKey).update(data).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface Pbkdf2Params {
  salt: Buffer;
  iterations: number;
  keyLength: number;
  hash: string;
}

export function derivePbkdf2Key(password: string, params: Pbkdf2Params): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), params.salt, params.iterations, params.keyLength, params.hash);
}
