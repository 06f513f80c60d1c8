import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMovableClock } from './clock.js';

describe('createMovableClock', () => {
  afterEach(() => vi.useRealTimers());

  it('follows the system time, plus what it was moved on', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 5, 9) });
    const clock = createMovableClock();
    expect(clock.now()).toBe(Date.UTC(2026, 11, 5, 9));
    vi.advanceTimersByTime(1_000);
    expect(clock.now()).toBe(Date.UTC(2026, 11, 5, 9) + 1_000);
    clock.advance(30_000);
    clock.advance(5);
    expect(clock.now()).toBe(Date.UTC(2026, 11, 5, 9) + 31_005);
  });

  it.each([-1, Number.NaN])('refuses to move by %s (time only moves forward)', (ms) => {
    const clock = createMovableClock();
    expect(() => clock.advance(ms)).toThrow(/only moves forward/);
  });
});
