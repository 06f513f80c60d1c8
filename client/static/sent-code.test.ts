import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// What it does is walked in Chromium (e2e/sent-codes.e2e.test.ts: a provider that hangs, the page
// moving from "sending…" to "could not send" by itself); here, what it must never do.
const source = readFileSync(new URL('./sent-code.js', import.meta.url), 'utf8');

describe('sent-code.js', () => {
  it('imports nothing: one same-origin file under the CSP', () => {
    expect(source).not.toMatch(/\bimport\b|\brequire\(/);
  });

  it('writes no markup, runs no strings as code, and never reloads (a reload could repeat a POST)', () => {
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]|location\.reload/);
  });

  it('goes only to the page URL the server wrote, and stops asking after two minutes', () => {
    expect(source).toContain('window.location.assign(pageUrl)');
    expect(source).toContain('120_000');
  });
});
