/**
 * Letter case beyond ASCII, for sites whose upstream ignores case (`case_insensitive_paths`).
 * Rule patterns for such a site are compiled case-insensitively, which covers ASCII letters;
 * letters outside ASCII reach the policy percent-encoded (`/%C3%84`), where no regex flag can
 * see them. This folds them, in the path and in the pattern alike, so that `Ä` and `ä` meet.
 *
 * Four letters have an ASCII letter as case partner: `ı` (dotless i) and `İ` (dotted capital I)
 * with i, `ſ` (long s) with s, and the Kelvin sign `K` with k. Windows, .NET's ordinal
 * ignore-case comparison and Unicode case folding treat `/admın` or `/ſecret` as `/admin` and
 * `/secret`, so here they become those ASCII letters, and a rule about `/admin` covers them.
 * Multi-letter mappings (`ß` → `SS`, ligatures like `ﬁ`) are not folded: no case-insensitive
 * router or file system compares by them.
 */

/** A run of escapes that can hold UTF-8 beyond ASCII (lead or continuation bytes). */
const HIGH_ESCAPES = /(?:%[89A-Fa-f][0-9A-Fa-f])+/g;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function foldPathCase(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(HIGH_ESCAPES, foldEscapes);
}

function foldEscapes(run: string): string {
  let text: string;
  try {
    text = UTF8.decode(Buffer.from(run.replaceAll('%', ''), 'hex'));
  } catch {
    // Not UTF-8: no letters to fold; compared byte for byte, in one spelling.
    return run.toUpperCase();
  }
  let out = '';
  for (const letter of text) {
    const folded = foldLetter(letter);
    out += folded.charCodeAt(0) < 0x80 ? folded : encodeURIComponent(folded);
  }
  return out;
}

/**
 * Simple (one letter to one letter) case folding: upper case, then lower case, so that both
 * partners of a pair and the odd ones out (`ς`, `ſ`, `K`) end on the same letter.
 */
function foldLetter(letter: string): string {
  if (letter === '\u0130') return 'i';
  const upper = letter.toUpperCase();
  const base = isOneLetter(upper) ? upper : letter;
  const lower = base.toLowerCase();
  return isOneLetter(lower) ? lower : letter;
}

function isOneLetter(text: string): boolean {
  return text.length === 1 || (text.length === 2 && text.codePointAt(0)! > 0xffff);
}
