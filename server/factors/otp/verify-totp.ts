import type { OtpAlgorithm } from '../../storage/storage.js';
import { totpStep, type OtpDigits } from './generate-otp.js';
import { matchCounters } from './match-counters.js';
import { clampDrift } from './totp-drift.js';

export interface TotpCheck {
  secret: Buffer;
  /** A code from normalizeCode. */
  code: string;
  /** Server time, ms since the epoch. Never a time the client sends. */
  now: number;
  period: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
  /** Steps accepted either side of the expected step (config `window`, 0–3). */
  window: number;
  /** The device's learned drift; clamped to ±maxDriftSteps before use. */
  driftSteps: number;
  maxDriftSteps: number;
  /** The last step accepted for this device, or null: anything at or below is a replay. */
  lastStep: number | null;
}

export type TotpResult = { ok: true; step: number /** matched step − server step */; offsetSteps: number } | { ok: false; reason: 'invalid-code' | 'replayed' };

/** Windows above this are a configuration bug (the schema allows 0–3). */
const MAX_WINDOW = 10;

/**
 * Checks a TOTP code against the steps serverStep + drift − window … serverStep + drift + window
 * (drift clamped to ±maxDriftSteps), and also serverStep − window … serverStep + window: a
 * user who set the phone's clock right — as the drift warning asks — is not locked out until
 * a resync. No single code is ever accepted further than maxDriftSteps + window steps from
 * the server's own step; larger offsets are learned only from two codes (findDriftedTotp).
 *
 * A step at or below `lastStep` is refused as `replayed` — the durable floor that holds after
 * the short-lived replay claim has expired. The caller must still claim the step atomically
 * (claimOtpUse) and store it with recordUse's compare-and-set: this function only reads.
 */
export function verifyTotp(check: TotpCheck): TotpResult {
  if (!Number.isSafeInteger(check.window) || check.window < 0 || check.window > MAX_WINDOW) throw new RangeError(`TOTP window must be 0–${MAX_WINDOW}`);
  if (check.lastStep !== null && !Number.isSafeInteger(check.lastStep)) throw new RangeError('lastStep must be null or an integer');
  const serverStep = totpStep(check.now, check.period);
  const drift = clampDrift(check.driftSteps, check.maxDriftSteps);

  // Nearest to the expected step first, so that in the (1-in-a-million) case of two steps
  // sharing a code, the likelier one wins.
  const offsets = new Set<number>();
  for (const centre of [drift, 0]) {
    offsets.add(centre);
    for (let k = 1; k <= check.window; k++) offsets.add(centre - k).add(centre + k);
  }
  const steps = [...offsets].map((offset) => serverStep + offset).filter((step) => step >= 0);

  const matched = matchCounters(check.secret, check.code, steps, check);
  const fresh = steps.find((step) => matched.has(step) && (check.lastStep === null || step > check.lastStep));
  if (fresh !== undefined) return { ok: true, step: fresh, offsetSteps: fresh - serverStep };
  return { ok: false, reason: matched.size > 0 ? 'replayed' : 'invalid-code' };
}
