import type { OtpAlgorithm } from '../../storage/storage.js';
import { encodeBase32 } from './base32.js';
import type { OtpDigits } from './generate-otp.js';

export interface OtpauthUriInput {
  issuer: string;
  /** What the app shows under the issuer: the username. */
  account: string;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
}

/**
 * The enrollment URI of Google's Key Uri Format:
 * `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
 *
 * - The issuer goes both in the label (older apps read only that) and as the parameter
 *   (newer apps prefer it); both must be equal.
 * - Label parts and the issuer parameter are percent-encoded per RFC 3986 (a space is %20,
 *   never "+", which some apps show literally); the ":" between them stays literal.
 * - Neither part may contain ":" — apps split the label on it, even when encoded — so one
 *   is refused as a bug (config or directory should not allow it).
 * - The secret is base32 without padding; algorithm, digits and period are always written,
 *   even at their defaults, so no app has to guess.
 */
export function otpauthUri(input: OtpauthUriInput): string {
  for (const [name, value] of [
    ['issuer', input.issuer],
    ['account', input.account],
  ] as const) {
    if (value.length === 0 || value.includes(':')) throw new RangeError(`otpauth ${name} must be non-empty and free of ":"`);
  }
  const issuer = encodeURIComponent(input.issuer);
  const label = `${issuer}:${encodeURIComponent(input.account)}`;
  const params = [`secret=${encodeBase32(input.secret)}`, `issuer=${issuer}`, `algorithm=${input.algorithm}`, `digits=${input.digits}`, `period=${input.period}`];
  return `otpauth://totp/${label}?${params.join('&')}`;
}
