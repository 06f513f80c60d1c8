import type { OtpDigits } from './generate-otp.js';

export type NormalizeCodeResult = { ok: true; code: string } | { ok: false; reason: 'malformed' };

/** Longer input is refused before any other work: no code needs more than this, whatever its spacing. */
export const MAX_CODE_INPUT_LENGTH = 32;

// Only ASCII: [0-9], never \d with the u flag or Unicode classes, so that Arabic-Indic (٣),
// Persian (۳), full-width (３) or other digits are refused rather than folded into ASCII
// ones — no normalization (NFKC) happens anywhere on this path.
const CODE = /^([0-9]+)(?:(?: +| *[-.] *)([0-9]+))?$/;
const EDGE_WHITESPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Turns what a user typed into the bare code, or refuses it. Accepted forms, for `digits`
 * 6 (and likewise 8: "1234 5678", "1234-5678"):
 *
 * - the digits alone: `123456`;
 * - the digits split once, anywhere, by one separator group: any number of spaces (`123 456`),
 *   a single dash (`123-456`) or a single dot (`123.456`), optionally with spaces around the
 *   dash or dot (`123 - 456`);
 * - any of these with spaces, tabs or line breaks before or after (pasted text), trimmed.
 *
 * Refused (`malformed`): not a string; empty; more than 32 characters; any digit that is not
 * ASCII 0–9 (Arabic-Indic, Persian, full-width, …); letters or other symbols; more than one
 * separator group (`12 34 56`, `123--456`); a separator at either end (`-123456`); other
 * Unicode spaces (no-break, ideographic); and any count of digits other than `digits`.
 */
export function normalizeCode(input: unknown, digits: OtpDigits): NormalizeCodeResult {
  if (typeof input !== 'string' || input.length > MAX_CODE_INPUT_LENGTH) return MALFORMED;
  const match = CODE.exec(input.replace(EDGE_WHITESPACE, ''));
  if (match === null) return MALFORMED;
  const code = match[1]! + (match[2] ?? '');
  if (code.length !== digits) return MALFORMED;
  return { ok: true, code };
}

const MALFORMED: NormalizeCodeResult = Object.freeze({ ok: false, reason: 'malformed' });
