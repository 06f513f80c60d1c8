import { describe, expect, it } from 'vitest';
import { fitLine, isFlat, percentile } from './soak-stats.js';

describe('percentile (nearest rank)', () => {
  it.each([
    { values: [5, 1, 4, 2, 3], p: 50, expected: 3 },
    { values: [5, 1, 4, 2, 3], p: 99, expected: 5 },
    { values: [5, 1, 4, 2, 3], p: 0, expected: 1 },
    { values: Array.from({ length: 100 }, (_, i) => 100 - i), p: 99, expected: 99 },
    { values: [7], p: 50, expected: 7 },
  ])('p$p of $values.length values → $expected', ({ values, p, expected }) => expect(percentile(values, p)).toBe(expected));

  it('is NaN without values', () => expect(percentile([], 50)).toBeNaN());
});

/** A sawtooth like the heap between collections: up 8 MiB over 6 samples, then back, around `trend`. */
const sawtooth = (n: number, trendPerSecond: number) =>
  Array.from({ length: n }, (_, i) => ({ x: i * 5, y: 100 * 2 ** 20 + ((i % 6) / 5) * 8 * 2 ** 20 + trendPerSecond * i * 5 }));
const perTenMinutes = (bytesPerSecond: number) => (bytesPerSecond * 600) / 2 ** 20;

describe('fitLine and isFlat', () => {
  it('finds the slope and intercept of a straight line, with no error', () => {
    const fit = fitLine([0, 1, 2, 3].map((x) => ({ x, y: 3 + 2 * x })));
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(3);
    expect(fit.slopeStdError).toBeCloseTo(0);
  });

  it('a flat sawtooth over 15 minutes is flat under a 4 MiB / 10 min threshold', () => {
    const fit = fitLine(sawtooth(180, 0));
    expect(Math.abs(perTenMinutes(fit.slope))).toBeLessThan(1);
    expect(isFlat({ slope: perTenMinutes(fit.slope), slopeStdError: perTenMinutes(fit.slopeStdError), intercept: 0 }, 4)).toBe(true);
  });

  it.each([
    { leak: '20 MiB / 10 min', perSecond: (20 * 2 ** 20) / 600 },
    { leak: '10 MiB / 10 min', perSecond: (10 * 2 ** 20) / 600 },
  ])('a leak of $leak under the sawtooth is not flat', ({ perSecond }) => {
    const fit = fitLine(sawtooth(180, perSecond));
    expect(isFlat({ slope: perTenMinutes(fit.slope), slopeStdError: perTenMinutes(fit.slopeStdError), intercept: 0 }, 4)).toBe(false);
  });

  it('too few samples to tell are not flat', () => {
    expect(isFlat(fitLine([{ x: 0, y: 1 }]), 4)).toBe(false);
    expect(
      isFlat(
        fitLine([
          { x: 0, y: 1 },
          { x: 1, y: 1 },
        ]),
        4,
      ),
    ).toBe(false);
    expect(
      isFlat(
        fitLine([
          { x: 1, y: 1 },
          { x: 1, y: 2 },
          { x: 1, y: 3 },
        ]),
        4,
      ),
    ).toBe(false);
  });
});
