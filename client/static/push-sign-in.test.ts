import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const source = readFileSync(new URL('./push-sign-in.js', import.meta.url), 'utf8');

describe('push-sign-in.js', () => {
  it('imports nothing: one same-origin file under the CSP', () => {
    expect(source).not.toMatch(/\bimport\b|\brequire\(/);
  });

  it('writes text, never markup, and runs no strings as code', () => {
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]/);
  });

  it('polls only the URL the page names, with the session cookie, and completes through the page’s own form', () => {
    expect(source).toContain("fetch(statusUrl, { credentials: 'same-origin'");
    expect(source).toContain('form.submit()');
    expect(source).not.toMatch(/https?:\/\//);
  });
});
