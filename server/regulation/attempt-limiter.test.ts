import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createAttemptLimiter } from './attempt-limiter.js';

describe('attempt limiter', () => {
  it('blocks after the budget, counts parallel failures, and lifts when the window ends', async () => {
    const clock = createFixedClock();
    const limiter = createAttemptLimiter(createMemoryKv({ clock }), { name: 'otp', maxFailures: 5, windowSeconds: 300 });
    expect(await limiter.isBlocked('alice')).toBe(false);
    const counts = await Promise.all(Array.from({ length: 50 }, () => limiter.recordFailure('alice')));
    expect(Math.max(...counts)).toBe(50);
    expect(await limiter.isBlocked('alice')).toBe(true);
    expect(await limiter.isBlocked('bob')).toBe(false);
    clock.advance(301_000);
    expect(await limiter.isBlocked('alice')).toBe(false);
  });

  it('blocks exactly at the budget', async () => {
    const limiter = createAttemptLimiter(createMemoryKv({ clock: createFixedClock() }), { name: 'otp', maxFailures: 3, windowSeconds: 60 });
    for (let i = 0; i < 2; i++) await limiter.recordFailure('bob');
    expect(await limiter.isBlocked('bob')).toBe(false);
    await limiter.recordFailure('bob');
    expect(await limiter.isBlocked('bob')).toBe(true);
  });
});
