import type { OtpAlgorithm } from '../../storage/storage.js';
import { totpStep, type OtpDigits } from './generate-otp.js';
import { matchCounters } from './match-counters.js';

export interface DriftedTotpSearch {
  secret: Buffer;
  /** Two codes from normalizeCode, shown one after the other by the phone. */
  code1: string;
  code2: string;
  /** Server time, ms since the epoch. */
  now: number;
  period: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
  /** How far from the server's step to look, each way; the factor passes maxDriftSteps. */
  searchSteps: number;
  lastStep: number | null;
}

export type DriftedTotpResult =
  | { ok: true /** code2's step: the new replay floor */; step: number /** code2's step − server step: the drift to store */; offsetSteps: number }
  | { ok: false; reason: 'invalid-code' | 'replayed' };

/** 12 hours of 30 s steps: 2 882 HMACs per code at most. A wider search is a configuration bug. */
export const MAX_SEARCH_STEPS = 1440;

/**
 * Resynchronisation for a phone whose clock is minutes off (it then matches nothing within
 * the window). Only for two codes entered one after the other: code1 at some step s and
 * code2 at s + 1, with code2's step within ±searchSteps of the server's step. One code alone
 * would match a random 6-digit guess somewhere in 2·20+1 steps about once in 24 000 tries (searchSteps 20: 10 min at 30 s);
 * a consecutive pair, about once in 25 billion — as safe as a single code in the window.
 *
 * Both steps must lie above `lastStep`, else `replayed`. Like verifyTotp it only reads: the
 * caller claims `step` (claimOtpUse) and stores step and drift with recordUse.
 */
export function findDriftedTotp(search: DriftedTotpSearch): DriftedTotpResult {
  const { searchSteps } = search;
  if (!Number.isSafeInteger(searchSteps) || searchSteps < 1 || searchSteps > MAX_SEARCH_STEPS) throw new RangeError(`searchSteps must be 1–${MAX_SEARCH_STEPS}`);
  if (search.lastStep !== null && !Number.isSafeInteger(search.lastStep)) throw new RangeError('lastStep must be null or an integer');
  const serverStep = totpStep(search.now, search.period);

  // code1 may sit one step beyond the range, so that code2 (whose offset becomes the drift)
  // covers the whole ±searchSteps.
  const steps: number[] = [];
  for (let step = Math.max(0, serverStep - searchSteps - 1); step <= serverStep + searchSteps; step++) steps.push(step);
  const first = matchCounters(search.secret, search.code1, steps, search);
  const second = matchCounters(search.secret, search.code2, steps, search);

  // Pairs ranked by distance from server time: the smallest offset is the likeliest truth.
  const pairs = steps
    .filter((step) => first.has(step) && second.has(step + 1))
    .map((step) => step + 1)
    .sort((a, b) => Math.abs(a - serverStep) - Math.abs(b - serverStep));
  if (pairs.length === 0) return { ok: false, reason: 'invalid-code' };
  const fresh = pairs.find((step) => search.lastStep === null || step - 1 > search.lastStep);
  if (fresh === undefined) return { ok: false, reason: 'replayed' };
  return { ok: true, step: fresh, offsetSteps: fresh - serverStep };
}
