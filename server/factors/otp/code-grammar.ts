import type { OtpDigits } from './generate-otp.js';

/**
 * What a typed one-time code may look like, stated once: the server parses with it
 * (normalize-code.ts) and the code field's HTML `pattern` is built from it, so the browser never
 * blocks a code the server takes nor lets through one the server refuses.
 *
 * For `digits` 6 (and likewise 8):
 * - the digits alone: `123456`;
 * - split once, anywhere, by one separator group: spaces (`123 456`), a single dash (`123-456`)
 *   or a single dot (`123.456`), with or without spaces around the dash or dot (`123 - 456`);
 * - spaces, tabs or line breaks before and after (pasted text);
 * - at most MAX_CODE_INPUT_LENGTH characters in all.
 *
 * Only ASCII 0-9, never `\d` or Unicode classes: Arabic-Indic (٣), Persian (۳), full-width (３)
 * and other digits are refused rather than folded into ASCII ones — nothing on this path
 * normalizes (NFKC). Other Unicode spaces (no-break, ideographic) are refused too.
 */

/** Longer input is refused before any other work: no code needs more, whatever its spacing. */
export const MAX_CODE_INPUT_LENGTH = 32;

/** The digit counts a code may have (RFC 4226 allows 6 to 8; tokens and apps use 6 or 8). */
export const CODE_DIGITS: readonly OtpDigits[] = [6, 8];

const EDGE = '[ \\t\\r\\n]*';
const SEPARATOR = '(?: +| *(?:-|\\.) *)';

/**
 * The grammar as a regular-expression source for codes of any of `digits`: valid under the `v`
 * flag browsers compile `pattern` with (and the older `u`), and meant to be wrapped in
 * `^(?:…)$` as they do. Written with fixed counts (one alternative per split point) so that an
 * HTML pattern, which cannot count digits across a separator, says exactly what the server does.
 */
export function codePatternSource(digits: readonly OtpDigits[] = CODE_DIGITS): string {
  const bodies = [...new Set(digits)]
    .sort((a, b) => a - b)
    .flatMap((n) => [`[0-9]{${n}}`, ...Array.from({ length: n - 1 }, (_, i) => `[0-9]{${i + 1}}${SEPARATOR}[0-9]{${n - i - 1}}`)]);
  return `(?=[\\s\\S]{0,${MAX_CODE_INPUT_LENGTH}}$)${EDGE}(?:${bodies.join('|')})${EDGE}`;
}

/** The grammar compiled as a browser compiles a `pattern` attribute. */
export function compileCodePattern(digits: readonly OtpDigits[] = CODE_DIGITS): RegExp {
  return new RegExp(`^(?:${codePatternSource(digits)})$`, 'v');
}
