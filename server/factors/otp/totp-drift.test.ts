import { describe, expect, it } from 'vitest';
import { clampDrift, driftSeconds, exceedsDriftWarning, learnDrift, maxDriftSteps } from './totp-drift.js';

describe('learnDrift', () => {
  it.each([
    // one step toward the observed offset
    { drift: 0, offset: 0, max: 20, next: 0 },
    { drift: 0, offset: 1, max: 20, next: 1 },
    { drift: 0, offset: -1, max: 20, next: -1 },
    { drift: 5, offset: 6, max: 20, next: 6 },
    { drift: 5, offset: 4, max: 20, next: 4 },
    { drift: 5, offset: 5, max: 20, next: 5 },
    { drift: 5, offset: 8, max: 20, next: 6 },
    { drift: -5, offset: -8, max: 20, next: -6 },
    { drift: 2, offset: 1, max: 20, next: 1 },
    // nearer to server time than to the drift: the clock was set right, take it
    { drift: 5, offset: 0, max: 20, next: 0 },
    { drift: 5, offset: 1, max: 20, next: 1 },
    { drift: 5, offset: -1, max: 20, next: -1 },
    { drift: -8, offset: 1, max: 20, next: 1 },
    { drift: 2, offset: -3, max: 20, next: -3 },
    // bounds
    { drift: 20, offset: 21, max: 20, next: 20 },
    { drift: -20, offset: -21, max: 20, next: -20 },
    { drift: 50, offset: 21, max: 20, next: 20 },
    { drift: 50, offset: 0, max: 20, next: 0 },
    { drift: -50, offset: -19, max: 20, next: -19 },
    { drift: 0, offset: 1, max: 0, next: 0 },
    { drift: 3, offset: 3, max: 0, next: 0 },
  ])('drift $drift, matched at $offset, max $max → $next', ({ drift, offset, max, next }) => {
    expect(learnDrift({ driftSteps: drift, offsetSteps: offset, maxDriftSteps: max })).toBe(next);
  });

  it('moves a drift away from server time by one step per code at most, or into the window every device gets', () => {
    for (let window = 0; window <= 3; window++) {
      for (let drift = -25; drift <= 25; drift++) {
        const current = clampDrift(drift, 20);
        // Only offsets verifyTotp can match: around the drift and around server time.
        const offsets = new Set<number>();
        for (let k = -window; k <= window; k++) offsets.add(current + k).add(k);
        for (const offset of offsets) {
          const next = learnDrift({ driftSteps: drift, offsetSteps: offset, maxDriftSteps: 20 });
          expect(Math.abs(next)).toBeLessThanOrEqual(20);
          expect(Math.abs(next)).toBeLessThanOrEqual(Math.max(Math.abs(current) + 1, window));
        }
      }
    }
  });

  it('a phone drifting steadily is followed, one step per sign-in', () => {
    let drift = 0;
    for (const offset of [1, 1, 2, 2, 3, 4, 5]) drift = learnDrift({ driftSteps: drift, offsetSteps: offset, maxDriftSteps: 20 });
    expect(drift).toBe(5);
  });

  it('a late-typed code (offset −1) moves a correct phone by one step at most, and back', () => {
    let drift = learnDrift({ driftSteps: 0, offsetSteps: -1, maxDriftSteps: 20 });
    expect(drift).toBe(-1);
    drift = learnDrift({ driftSteps: drift, offsetSteps: 0, maxDriftSteps: 20 });
    expect(drift).toBe(0);
  });

  it('throws on non-integer steps', () => {
    expect(() => learnDrift({ driftSteps: 0.5, offsetSteps: 0, maxDriftSteps: 20 })).toThrow(RangeError);
    expect(() => learnDrift({ driftSteps: 0, offsetSteps: Number.NaN, maxDriftSteps: 20 })).toThrow(RangeError);
  });
});

describe('driftSeconds and the warning', () => {
  it.each([
    { steps: 0, period: 30, seconds: 0, warn: false },
    { steps: 6, period: 30, seconds: 180, warn: false },
    { steps: 7, period: 30, seconds: 210, warn: true },
    { steps: -7, period: 30, seconds: -210, warn: true },
    { steps: -6, period: 30, seconds: -180, warn: false },
    { steps: 3, period: 60, seconds: 180, warn: false },
    { steps: 4, period: 60, seconds: 240, warn: true },
    { steps: -4, period: 60, seconds: -240, warn: true },
  ])('$steps steps of $period s → $seconds s, warn (over 180 s) $warn', ({ steps, period, seconds, warn }) => {
    expect(driftSeconds(steps, period)).toBe(seconds);
    expect(exceedsDriftWarning(steps, period, 180)).toBe(warn);
  });

  it('never gives −0', () => expect(Object.is(driftSeconds(-0, 30), 0)).toBe(true));
});

describe('maxDriftSteps and clampDrift', () => {
  it.each([
    { seconds: 600, period: 30, steps: 20 },
    { seconds: 600, period: 60, steps: 10 },
    { seconds: 0, period: 30, steps: 0 },
    { seconds: 45, period: 30, steps: 1 },
    { seconds: 29, period: 30, steps: 0 },
  ])('$seconds s at $period s → $steps steps (rounded down: never more than configured)', ({ seconds, period, steps }) => {
    expect(maxDriftSteps(seconds, period)).toBe(steps);
  });

  it.each([
    { drift: 25, max: 20, clamped: 20 },
    { drift: -25, max: 20, clamped: -20 },
    { drift: 7, max: 20, clamped: 7 },
    { drift: -3, max: 0, clamped: 0 },
  ])('clamps $drift to ±$max → $clamped', ({ drift, max, clamped }) => expect(clampDrift(drift, max)).toBe(clamped));

  it('throws on a negative bound or period', () => {
    expect(() => clampDrift(1, -1)).toThrow(RangeError);
    expect(() => maxDriftSteps(-1, 30)).toThrow(RangeError);
    expect(() => maxDriftSteps(600, 0)).toThrow(RangeError);
  });
});
