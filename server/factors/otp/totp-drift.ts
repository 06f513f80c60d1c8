/**
 * A phone's clock offset, learned per device in whole time steps (positive: the phone is
 * ahead of the server). It only ever widens where codes are looked for, always within
 * ±maxDriftSteps of the server's own step: server time stays the reference (ASVS 6.5.8).
 */

/** The largest drift, in steps, that `maxDriftSeconds` (config `max_drift`) allows at this period. */
export function maxDriftSteps(maxDriftSeconds: number, periodSeconds: number): number {
  if (!(maxDriftSeconds >= 0) || !(periodSeconds > 0)) throw new RangeError('max drift must be ≥ 0 and period > 0');
  return Math.floor(maxDriftSeconds / periodSeconds);
}

/** `driftSteps` limited to ±maxDriftSteps (a stored drift outlives a lowered `max_drift`). */
export function clampDrift(driftSteps: number, maxSteps: number): number {
  assertInteger(driftSteps, 'driftSteps');
  assertInteger(maxSteps, 'maxDriftSteps');
  if (maxSteps < 0) throw new RangeError('maxDriftSteps must be ≥ 0');
  return Math.max(-maxSteps, Math.min(maxSteps, driftSteps)) || 0;
}

/**
 * The drift to store after verifyTotp matched a code `offsetSteps` from the server's step.
 *
 * Rule: if the offset is nearer to server time than to the learned drift, the phone's clock
 * was set right: take the offset (verifyTotp only matches such a code within ±window of server
 * time, so this jump never lands further out than the window every device gets). Otherwise
 * move ONE step toward the offset, never past it. One step because an offset of −1 is often
 * just a code read at the end of its step and typed in the next: jumping would make the drift
 * (and the warning) flap, while a phone that really drifts keeps being seen at the same offset
 * and is followed one step per sign-in — faster than any real clock drifts. So a lucky or
 * stolen code cannot move the search far. Always within ±maxDriftSteps. Larger offsets are
 * learned only from two consecutive codes (findDriftedTotp).
 */
export function learnDrift(input: { driftSteps: number; offsetSteps: number; maxDriftSteps: number }): number {
  assertInteger(input.offsetSteps, 'offsetSteps');
  const current = clampDrift(input.driftSteps, input.maxDriftSteps);
  const offset = input.offsetSteps;
  if (Math.abs(offset) < Math.abs(offset - current)) return clampDrift(offset, input.maxDriftSteps);
  return clampDrift(current + Math.sign(offset - current), input.maxDriftSteps);
}

/** The learned offset in seconds, signed (positive: the phone is ahead). */
export function driftSeconds(driftSteps: number, periodSeconds: number): number {
  assertInteger(driftSteps, 'driftSteps');
  return driftSteps * periodSeconds || 0;
}

/** Whether the user should be told to fix the phone's clock (config `drift_warning`). */
export function exceedsDriftWarning(driftSteps: number, periodSeconds: number, warningSeconds: number): boolean {
  return Math.abs(driftSeconds(driftSteps, periodSeconds)) > warningSeconds;
}

function assertInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
}
