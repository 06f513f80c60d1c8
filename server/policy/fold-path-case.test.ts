import { describe, expect, it } from 'vitest';
import { foldPathCase } from './fold-path-case.js';

describe('foldPathCase', () => {
  it.each([
    ['/admin', '/admin'],
    ['/ADMIN/x', '/ADMIN/x'], // ASCII is left to the case-insensitive pattern
    ['/a%20b', '/a%20b'],
    ['/%3F', '/%3F'],
  ])('leaves %s alone', (path, folded) => {
    expect(foldPathCase(path)).toBe(folded);
  });

  it.each([
    ['Ä and ä meet', '/%C3%84rger', '/%C3%A4rger'],
    ['É', '/CAF%C3%89', '/CAF%C3%A9'],
    ['Cyrillic', '/%D0%90%D0%94%D0%9C%D0%98%D0%9D', '/%D0%B0%D0%B4%D0%BC%D0%B8%D0%BD'],
    ['Greek final sigma', '/%CE%A3%CF%82', '/%CF%83%CF%83'],
    ['lower-case escapes', '/%c3%84', '/%C3%A4'],
    ['dotless ı is i', '/adm%C4%B1n', '/admin'],
    ['dotted İ is i', '/%C4%B0nfo', '/info'],
    ['long ſ is s', '/%C5%BFecret', '/secret'],
    ['the Kelvin sign is k', '/%E2%84%AAey', '/key'],
    ['several in one segment', '/%C3%84%C3%96%C3%9C', '/%C3%A4%C3%B6%C3%BC'],
  ])('%s: %s → %s', (_name, path, folded) => {
    expect(foldPathCase(path)).toBe(folded);
  });

  it.each([
    ['ß (its upper case is two letters)', '/stra%C3%9Fe'],
    ['the ﬁ ligature', '/%EF%AC%81le'],
    ['an emoji', '/%F0%9F%98%80'],
    ['a byte-order mark', '/%EF%BB%BFx'],
  ])('keeps %s', (_name, path) => {
    expect(foldPathCase(path)).toBe(path);
  });

  it.each([
    ['a lone continuation byte', '/%80x', '/%80x'],
    ['a truncated sequence', '/%c3', '/%C3'],
    ['an overlong slash', '/%C0%AFx', '/%C0%AFx'],
  ])('leaves bytes that are not UTF-8 as bytes (%s)', (_name, path, folded) => {
    expect(foldPathCase(path)).toBe(folded);
  });

  // ASCII letters are compared by the pattern's case-insensitive flag: ı and I meet there.
  it('folds every letter to the same letter as its case partner, ASCII case aside', () => {
    const mismatched: string[] = [];
    for (let cp = 0x80; cp < 0x3000; cp++) {
      const letter = String.fromCodePoint(cp);
      const upper = letter.toUpperCase();
      if (upper === letter || [...upper].length !== 1) continue;
      const a = foldPathCase('/' + encodeURIComponent(letter));
      const b = foldPathCase('/' + encodeURIComponent(upper));
      if (a.toLowerCase() !== b.toLowerCase()) mismatched.push(`${letter} ${upper}`);
    }
    expect(mismatched).toEqual([]);
  });
});
