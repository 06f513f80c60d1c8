import { randomBytes } from 'node:crypto';
import type { OtpAlgorithm } from '../../storage/storage.js';

/**
 * Bytes of a new seed: the HMAC's own output length (RFC 6238's test keys, and RFC 4226's
 * recommendation of 160 bits for SHA1). Longer than the hash buys nothing; every choice
 * here is ≥ 160 bits, above NIST's 112.
 */
export const SECRET_BYTES: Record<OtpAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };

/** A fresh random TOTP/HOTP seed for `algorithm`. */
export function generateOtpSecret(algorithm: OtpAlgorithm): Buffer {
  const bytes = SECRET_BYTES[algorithm];
  if (bytes === undefined) throw new RangeError(`unsupported OTP algorithm ${String(algorithm)}`);
  return randomBytes(bytes);
}
