import { compileCodePattern, MAX_CODE_INPUT_LENGTH } from './code-grammar.js';
import type { OtpDigits } from './generate-otp.js';

export type NormalizeCodeResult = { ok: true; code: string } | { ok: false; reason: 'malformed' };

export { MAX_CODE_INPUT_LENGTH };

const GRAMMAR: Readonly<Record<OtpDigits, RegExp>> = { 6: compileCodePattern([6]), 8: compileCodePattern([8]) };

/**
 * Turns what a user typed into the bare code, or refuses it (`malformed`). What is accepted is
 * the grammar of code-grammar.ts, the same one the browser's code field checks: `123456`,
 * `123 456`, `123-456`, `123.456`, `123 - 456`, padded with spaces, tabs or line breaks.
 *
 * Refused: not a string; empty; more than 32 characters; any digit that is not ASCII 0–9
 * (Arabic-Indic, Persian, full-width, …); letters or other symbols; more than one separator
 * group (`12 34 56`, `123--456`); a separator at either end (`-123456`); other Unicode spaces
 * (no-break, ideographic); and any count of digits other than `digits`.
 */
export function normalizeCode(input: unknown, digits: OtpDigits): NormalizeCodeResult {
  if (typeof input !== 'string' || input.length > MAX_CODE_INPUT_LENGTH) return MALFORMED;
  const grammar = Object.hasOwn(GRAMMAR, digits) ? GRAMMAR[digits] : undefined;
  if (grammar === undefined || !grammar.test(input)) return MALFORMED;
  // The grammar allows ASCII digits and separators only: the digits are the code.
  return { ok: true, code: input.replace(/[^0-9]/g, '') };
}

const MALFORMED: NormalizeCodeResult = Object.freeze({ ok: false, reason: 'malformed' });
