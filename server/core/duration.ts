const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;

/**
 * Parses a duration such as "90s", "10m", "1h", "30d", or a whole number of seconds.
 * Returns seconds, or undefined for anything else (including "1h30m" and negatives).
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2]!]!;
  return Number.isFinite(seconds) ? seconds : undefined;
}
