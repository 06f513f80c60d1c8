import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { format, STRINGS } from './companion-strings.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('companion strings', () => {
  it('English and Traditional Chinese have the same keys, each non-empty, with the same placeholders', () => {
    expect(Object.keys(STRINGS['zh-TW']).sort()).toEqual(Object.keys(STRINGS.en).sort());
    for (const [key, en] of Object.entries(STRINGS.en)) {
      const zh = STRINGS['zh-TW'][key]!;
      expect(en.trim(), key).not.toBe('');
      expect(zh.trim(), key).not.toBe('');
      expect(placeholders(zh), key).toEqual(placeholders(en));
    }
  });

  it('every data-text key in the page exists', () => {
    const html = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
    const keys = [...html.matchAll(/data-text="(\w+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(STRINGS.en, key).toHaveProperty(key);
  });

  it('the expired-link text says how to start again', () => {
    expect(STRINGS.en.enrollExpired).toContain('ask for a new QR code on My sign-in methods');
  });

  it.each([
    ['{a} and {b}', { a: 1, b: 'x' }, '1 and x'],
    ['{missing} stays', {}, '{missing} stays'],
    ['{a}{a}', { a: '$&' }, '$&$&'],
  ])('format(%s)', (text, values, out) => {
    expect(format(text, values)).toBe(out);
  });
});
