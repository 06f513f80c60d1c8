import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** WCAG 2.x relative luminance and contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const css = readFileSync(new URL('./companion.css', import.meta.url), 'utf8');
const light = /:root \{[\s\S]*?\n\}/.exec(css)?.[0] ?? '';
const dark = /prefers-color-scheme: dark\)\s*\{([\s\S]*?)\n\}/.exec(css)?.[1] ?? '';
/** A custom property's colour in one block, as #rrggbb (#rgb expanded). */
function variable(name: string, block: string): string | undefined {
  const value = new RegExp(`--${name}:\\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\\b`).exec(block)?.[1];
  return value === undefined ? undefined : '#' + (value.length === 3 ? [...value].map((c) => c + c).join('') : value);
}

describe('companion colours', () => {
  it('the Approve and Set up buttons (white on the accent) reach 4.5:1', () => {
    expect(css).toMatch(/button\.primary \{[^}]*background: var\(--accent\)[^}]*color: #fff/);
    const accent = variable('accent', light)!;
    expect(contrast(accent, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    // The dark scheme keeps the same accent, or one that holds up under white text as well.
    expect(contrast(variable('accent', dark) ?? accent, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('a lit ring segment stands out (3:1, a graphical object) on the card in both schemes', () => {
    const accent = variable('accent', light)!;
    expect(variable('card', light)).toBe('#ffffff');
    expect(contrast(accent, variable('card', light)!)).toBeGreaterThanOrEqual(3);
    expect(contrast(variable('accent', dark) ?? accent, variable('card', dark)!)).toBeGreaterThanOrEqual(3);
  });
});
