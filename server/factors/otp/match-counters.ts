import { timingSafeEqual } from 'node:crypto';
import { generateHotp, type OtpParams } from './generate-otp.js';

/**
 * Every counter (HOTP counter or TOTP step) in `counters` whose code equals `code`.
 * All candidates are computed and compared in constant time, with no early exit, so the
 * response time does not tell which candidate (if any) matched. `code` must already be
 * normalized; anything that is not exactly `digits` ASCII digits matches nothing.
 */
export function matchCounters(secret: Buffer, code: string, counters: readonly number[], params: OtpParams): Set<number> {
  const matched = new Set<number>();
  const wellFormed = typeof code === 'string' && code.length === params.digits && /^[0-9]+$/.test(code);
  // Compare against a same-length stand-in when malformed, so the work done is the same.
  const given = Buffer.from(wellFormed ? code : '0'.repeat(params.digits), 'latin1');
  for (const counter of counters) {
    const expected = Buffer.from(generateHotp(secret, counter, params), 'latin1');
    if (timingSafeEqual(expected, given) && wellFormed) matched.add(counter);
  }
  return matched;
}
