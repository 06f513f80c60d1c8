import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const file = (name: string) => new URL(`./${name}`, import.meta.url);
const css = readFileSync(file('portal.css'), 'utf8');
const svg = readFileSync(file('favicon.svg'), 'utf8');

describe('portal.css', () => {
  it('stays small', () => {
    expect(statSync(file('portal.css')).size).toBeLessThan(8 * 1024);
  });

  it('loads nothing else: no imports, web fonts or remote URLs', () => {
    expect(css).not.toMatch(/@import|@font-face|url\(/i);
    expect(css).not.toMatch(/https?:\/\//);
  });

  it('uses the system font stack', () => {
    expect(css).toMatch(/font-family:\s*system-ui/);
  });

  it('has a dark scheme, visible focus, and honours reduced motion and forced colours', () => {
    expect(css).toContain('@media (prefers-color-scheme: dark)');
    expect(css).toMatch(/:focus-visible\s*\{[^}]*outline:\s*3px solid/);
    expect(css).toMatch(/@media \(prefers-reduced-motion: reduce\)\s*\{[^}]*transition: none/);
    expect(css).toContain('@media (forced-colors: active)');
    expect(css).toMatch(/@media \(max-width: [\d.]+rem\)/);
  });

  it('has balanced braces', () => {
    expect(css.split('{').length).toBe(css.split('}').length);
  });
});

describe('favicon.svg', () => {
  it('is a plain SVG without script, event handlers or external references', () => {
    expect(svg.trimStart().startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script|\son[a-z]+=|href=|<foreignObject/i);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
