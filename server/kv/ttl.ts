/** A Kv TTL in whole milliseconds. A TTL that is not positive is a bug in the caller, not an outage. */
export function ttlToMs(ttlSeconds: number): number {
  if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  return Math.ceil(ttlSeconds * 1000);
}
