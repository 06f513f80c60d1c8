import { describe, expect, it } from 'vitest';
import { restartDelay } from './supervise-workers.js';

describe('restartDelay', () => {
  it('starts at half a second, doubles with each crash in a row, and stops growing at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelay)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('treats no crash yet like the first', () => {
    expect(restartDelay(0)).toBe(500);
  });
});
