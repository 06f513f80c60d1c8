import { createHmac } from 'node:crypto';
import type { OtpAlgorithm } from '../../storage/storage.js';

/**
 * RFC 4226 HOTP and RFC 6238 TOTP, written on node:crypto's HMAC rather than otplib 13.
 * otplib 13 can compute the same codes (SHA256/SHA512, raw bytes), but: our verification is
 * our own (drift, replay floor, resync), so it would only supply these few lines of §5.3;
 * it pulls in six packages with a pure-JS HMAC where Node has a native one; its API is async
 * by default; and its 16-byte guardrail throws from deep inside instead of letting the token
 * importer say which entry is too short. RFC 6238 Appendix B and RFC 4226 Appendix D pin it.
 */

export type OtpDigits = 6 | 8;

export interface OtpParams {
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
}

const HMAC_NAMES: Record<OtpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** RFC 4226 §4 R6: a shared secret of at least 128 bits. Shorter is a bug upstream (import or enrollment). */
export const MIN_SECRET_BYTES = 16;

/** The HOTP value of `counter` (RFC 4226 §5.3), zero-padded to `digits`. */
export function generateHotp(secret: Buffer, counter: number, params: OtpParams): string {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) throw new RangeError(`OTP secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`OTP counter must be a non-negative safe integer, got ${counter}`);
  if (params.digits !== 6 && params.digits !== 8) throw new RangeError(`OTP digits must be 6 or 8, got ${String(params.digits)}`);
  const name = HMAC_NAMES[params.algorithm];
  if (name === undefined) throw new RangeError(`unsupported OTP algorithm ${String(params.algorithm)}`);

  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(name, secret).update(message).digest();
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes; the top bit is dropped.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** params.digits).padStart(params.digits, '0');
}

/** RFC 6238 time step T = floor((unix time − T0) / X) with T0 = 0; `nowMs` as a Clock gives it. */
export function totpStep(nowMs: number, periodSeconds: number): number {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`time must be a non-negative number of ms, got ${nowMs}`);
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) throw new RangeError(`TOTP period must be a positive integer, got ${periodSeconds}`);
  return Math.floor(nowMs / (periodSeconds * 1000));
}

/** The TOTP value at `nowMs`. */
export function generateTotp(secret: Buffer, nowMs: number, params: OtpParams & { period: number }): string {
  return generateHotp(secret, totpStep(nowMs, params.period), params);
}
