import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLocalTime } from './local-time.js';

const source = readFileSync(new URL('./local-time.js', import.meta.url), 'utf8');

describe('formatLocalTime', () => {
  it.each([
    ['en', 'Asia/Taipei', 'Jan 2, 2026, 5:05 PM'],
    ['en', 'America/New_York', 'Jan 2, 2026, 4:05 AM'],
    ['zh-TW', 'Asia/Taipei', '2026年1月2日 下午5:05'],
    ['zh-TW', 'UTC', '2026年1月2日 上午9:05'],
  ])('writes the instant as %s does in %s, without a zone name', (locale, zone, expected) => {
    expect(formatLocalTime('2026-01-02T09:05:00.000Z', locale, zone)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2026-01-02',
    '2026-01-02T09:05:00',
    '2026-01-02T09:05:00+08:00',
    '2026-13-45T99:99:99.000Z',
    ' 2026-01-02T09:05:00.000Z',
    '2026-01-02T09:05:00.000Z<script>',
    null,
    undefined,
    1767344700000,
    {},
  ])('leaves the server text alone for %j (not an instant as the server writes one)', (value) => {
    expect(formatLocalTime(value, 'en', 'UTC')).toBeUndefined();
  });

  it('leaves the server text alone for a zone or language Intl refuses', () => {
    expect(formatLocalTime('2026-01-02T09:05:00.000Z', 'en', 'Not/AZone')).toBeUndefined();
    expect(formatLocalTime('2026-01-02T09:05:00.000Z', 'not a tag!', 'UTC')).toBeUndefined();
  });
});

describe('local-time.js', () => {
  it('imports nothing, writes text only, runs no strings as code', () => {
    expect(source).not.toMatch(/\bimport\b|\brequire\(/);
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]/);
    expect(source).toContain('element.textContent = text');
  });

  it('reads the page language from <html lang> and touches only <time datetime> elements', () => {
    expect(source).toContain('document.documentElement.lang');
    expect(source).toContain("document.querySelectorAll('time[datetime]')");
  });
});
