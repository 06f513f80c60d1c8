import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codesText } from './recovery-codes.js';

const source = readFileSync(new URL('./recovery-codes.js', import.meta.url), 'utf8');

describe('codesText', () => {
  it('says what the codes are and whose, then one numbered code a line', () => {
    expect(codesText({ title: 'Your recovery codes', account: 'For alice', codes: ['AAAA-BBBB-CCCC', 'DDDD-EEEE-FFFF'] })).toBe(
      'Your recovery codes\nFor alice\n\n 1. AAAA-BBBB-CCCC\n 2. DDDD-EEEE-FFFF\n',
    );
  });

  it('keeps the columns straight past nine codes, and skips a missing account', () => {
    const text = codesText({ title: 'T', codes: Array.from({ length: 10 }, (_, i) => `C${i}`) });
    expect(text.split('\n').slice(0, 3)).toEqual(['T', '', ' 1. C0']);
    expect(text).toContain('\n10. C9\n');
  });
});

describe('recovery-codes.js', () => {
  it('imports nothing, writes text only, runs no strings as code', () => {
    expect(source).not.toMatch(/\bimport\b|\brequire\(/);
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]/);
  });

  it("copies with the Clipboard API, downloads a text/plain Blob under the page's file name, prints with the browser", () => {
    expect(source).toContain('navigator.clipboard.writeText(text())');
    expect(source).toContain("new Blob([text()], { type: 'text/plain;charset=utf-8' })");
    expect(source).toContain('link.download = root.dataset.fileName');
    expect(source).toContain('window.print()');
    expect(source).toContain('root.hidden = false');
  });
});
