/** Figures the soak reports: percentiles of latencies, and the trend of memory over time. */

/** The p-th percentile (0–100, nearest rank) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LineFit {
  /** y per unit of x. */
  slope: number;
  intercept: number;
  /** Standard error of the slope: how far noise alone moves it. NaN with fewer than 3 points. */
  slopeStdError: number;
}

/** Least-squares line through the points. */
export function fitLine(points: ReadonlyArray<{ x: number; y: number }>): LineFit {
  const n = points.length;
  if (n < 2) return { slope: NaN, intercept: NaN, slopeStdError: NaN };
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (sxx === 0) return { slope: NaN, intercept: NaN, slopeStdError: NaN };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residuals = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0);
  const slopeStdError = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : NaN;
  return { slope, intercept, slopeStdError };
}

/**
 * Memory is flat when its slope, less twice its standard error (what the sawtooth of garbage
 * collection alone can produce), is not above `max`: a growth that stands out of the noise and
 * passes the threshold fails. With fewer than three points nothing can be told, and it fails.
 */
export function isFlat(fit: LineFit, max: number): boolean {
  if (!Number.isFinite(fit.slope) || !Number.isFinite(fit.slopeStdError)) return false;
  return fit.slope - 2 * fit.slopeStdError <= max;
}
