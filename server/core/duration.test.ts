import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['1h', 3600],
    ['30d', 2_592_000],
    ['2w', 1_209_600],
    ['500ms', 0.5],
    [45, 45],
    [0, 0],
  ])('%s → %s seconds', (input, expected) => expect(parseDuration(input)).toBe(expected));

  it.each(['', '1h30m', '-5s', '5', 'ten minutes', '1.5h', '1H', -1, 1.5])('refuses %j', (input) => expect(parseDuration(input)).toBeUndefined());
});
