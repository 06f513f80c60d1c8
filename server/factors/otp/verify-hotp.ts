import type { OtpAlgorithm } from '../../storage/storage.js';
import type { OtpDigits } from './generate-otp.js';
import { matchCounters } from './match-counters.js';

interface HotpDevice {
  secret: Buffer;
  /** The next counter value expected (OtpDevice.counter). */
  counter: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
}

export type HotpResult = { ok: true /** store as the device's counter (recordUse, compare-and-set on `counter`) */; nextCounter: number } | { ok: false; reason: 'invalid-code' };

/** Bounds that only a bug would exceed (config allows look_ahead ≤ 100). */
const MAX_LOOK_AHEAD = 1000;
const MAX_RESYNC_WINDOW = 10_000;

/**
 * Checks a hardware token's code at the expected counter and up to `lookAhead` values past
 * it (button presses that never reached us). Codes below the counter are used: the stored
 * counter is the replay floor, so there is no separate "replayed" outcome here.
 */
export function verifyHotp(input: HotpDevice & { code: string; lookAhead: number }): HotpResult {
  const counters = range(input.counter, input.lookAhead, 0, MAX_LOOK_AHEAD, 'lookAhead');
  const matched = matchCounters(input.secret, input.code, counters, input);
  // The lowest match: the expected counter is the likeliest, and it burns the fewest values.
  const counter = counters.find((c) => matched.has(c));
  return counter === undefined ? { ok: false, reason: 'invalid-code' } : { ok: true, nextCounter: counter + 1 };
}

/**
 * Resynchronisation (RFC 4226 §7.4): two consecutive codes, code1 at c and code2 at c + 1,
 * anywhere from the counter to `searchWindow` values past it, set the counter after code2.
 * One code alone is never accepted this far out.
 */
export function resyncHotp(input: HotpDevice & { code1: string; code2: string; searchWindow?: number }): HotpResult {
  const counters = range(input.counter, input.searchWindow ?? 100, 1, MAX_RESYNC_WINDOW, 'searchWindow');
  const first = matchCounters(input.secret, input.code1, counters, input);
  const second = matchCounters(input.secret, input.code2, counters, input);
  const counter = counters.find((c) => first.has(c) && second.has(c + 1));
  return counter === undefined ? { ok: false, reason: 'invalid-code' } : { ok: true, nextCounter: counter + 2 };
}

/** start, start + 1, … start + ahead. */
function range(start: number, ahead: number, min: number, max: number, name: string): number[] {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`HOTP counter must be a non-negative safe integer, got ${start}`);
  if (!Number.isSafeInteger(ahead) || ahead < min || ahead > max) throw new RangeError(`${name} must be ${min}–${max}`);
  if (!Number.isSafeInteger(start + ahead + 1)) throw new RangeError('HOTP counter out of range');
  return Array.from({ length: ahead + 1 }, (_, i) => start + i);
}
