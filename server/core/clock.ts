/** Time is a parameter: code asks a Clock, tests pin it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can move by hand. */
export function createFixedClock(start = Date.UTC(2026, 0, 1)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}

/**
 * Real time that tests can move forward: `now()` is the system time plus what `advance` added.
 * For tests against live servers (browsers, Redis) that must not wait for time to pass — a new
 * TOTP step, a session growing stale — while everything else keeps the real time.
 */
export function createMovableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      if (!(ms >= 0)) throw new Error('a movable clock only moves forward');
      offset += ms;
    },
  };
}
