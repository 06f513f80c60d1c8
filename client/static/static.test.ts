import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const file = (name: string) => new URL(`./${name}`, import.meta.url);
const css = readFileSync(file('portal.css'), 'utf8');
const svg = readFileSync(file('favicon.svg'), 'utf8');

describe('portal.css', () => {
  it('stays small', () => {
    expect(statSync(file('portal.css')).size).toBeLessThan(9 * 1024);
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

const IMPORT = /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]/g;
const imports = (source: string): string[] => [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

describe.each(['webauthn.js', 'webauthn-ceremonies.js'])('%s', (name) => {
  const source = readFileSync(file(name), 'utf8');

  it('imports only its own modules by relative path, and the one library the build bundles in', () => {
    for (const specifier of imports(source)) expect(specifier).toMatch(/^(?:\.\/[a-z0-9/.-]+\.js|@simplewebauthn\/browser)$/);
  });

  it('writes text, never markup, and runs no strings as code', () => {
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]/);
  });
});

describe('webauthn.js', () => {
  const source = readFileSync(file('webauthn.js'), 'utf8');

  it('imports the library by its package name (the build bundles its ESM build in) and its own helpers', () => {
    expect(imports(source).sort()).toEqual(['./webauthn-ceremonies.js', '@simplewebauthn/browser']);
  });
});

describe("@simplewebauthn/browser ESM build (bundled into the passkey pages' bundles, client/assets)", () => {
  const esm = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')));

  it('is the esm folder of version 14', () => {
    expect(esm.replaceAll('\\', '/')).toMatch(/node_modules\/@simplewebauthn\/browser\/esm$/);
    const pkg = JSON.parse(readFileSync(join(esm, '..', 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toMatch(/^14\./);
  });

  it('exports what webauthn.js imports, as functions', async () => {
    const library = (await import('@simplewebauthn/browser')) as Record<string, unknown>;
    for (const name of ['startRegistration', 'startAuthentication', 'browserSupportsWebAuthn', 'browserSupportsWebAuthnAutofill']) {
      expect(typeof library[name], name).toBe('function');
    }
  });
});
