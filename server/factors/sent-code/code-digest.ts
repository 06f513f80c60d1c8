import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Sent codes are kept as keyed digests, never as themselves: a 6-digit code has 20 bits, so a
 * plain hash read from Redis is reversed in a moment. The key comes from the storage encryption
 * key (HKDF), which Redis never sees, so a copy of Redis alone gives nothing to try codes with.
 */
export function deriveCodeKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'gatehouse sent-code digest v1', 32));
}

/** The digest binds the code to its record (and so to its sign-in): the same code elsewhere is another digest. */
export function digestCode(key: Buffer, recordId: string, code: string): string {
  return createHmac('sha256', key).update(`${recordId}\n${code}`).digest('base64url');
}

export function isSameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Uniform over 10^digits (crypto.randomInt rejects the biased tail). */
export function generateSentCode(digits: 6 | 8): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}
