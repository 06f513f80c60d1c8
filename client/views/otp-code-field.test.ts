import { describe, expect, it } from 'vitest';
import { normalizeCode } from '../../server/factors/otp/normalize-code.js';
import type { OtpDigits } from '../../server/factors/otp/generate-otp.js';
import { OTP_CODE_MAX_LENGTH, renderOtpCodeField } from './otp-code-field.js';

/** The attribute as the browser reads it: entities decoded. */
function attribute(out: string, name: string): string {
  const value = new RegExp(`\\s${name}="([^"]*)"`).exec(out)?.[1];
  if (value === undefined) throw new Error(`no ${name} attribute`);
  return value
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const field = (digits?: OtpDigits[]) => String(renderOtpCodeField({ id: 'code', label: 'Code', hint: 'Hint', digits }));

// Typed, pasted, or produced by an IME: every class the server has a rule for, for 6 and 8 digits.
const INPUTS = [
  // plain, and every place one separator may go
  '123456',
  '012345',
  '000000',
  '12345678',
  '00000000',
  '1 23456',
  '12 3456',
  '123 456',
  '1234 56',
  '12345 6',
  '1234 5678',
  '1 2345678',
  '1234567 8',
  '123-456',
  '123.456',
  '1234-5678',
  '1234.5678',
  '12.345678',
  '1-2345678',
  '123  456',
  '123 - 456',
  '123- 456',
  '123 .456',
  '1234 . 5678',
  '1234   -   5678',
  // padding
  ' 123456 ',
  '\t123456',
  '123456\t',
  '  123 456  ',
  ' 1234 5678 ',
  '123456' + ' '.repeat(26),
  '123456' + ' '.repeat(27),
  '12345678' + ' '.repeat(24),
  '12345678' + ' '.repeat(25),
  ' '.repeat(26) + '123456',
  '\r123456\n',
  // wrong counts
  '',
  ' ',
  '-',
  '.',
  '12345',
  '1234567',
  '123456789',
  '1234 567',
  '123-4567',
  '1234 56789',
  '12 345',
  '1234567 89',
  '1',
  '1'.repeat(33),
  // more than one separator group, or at the ends
  '12 34 56',
  '12-34-56',
  '123--456',
  '123..456',
  '123-.456',
  '123.-456',
  '1.234.5678',
  '-123456',
  '123456-',
  '.123456',
  '123456.',
  '- 123456',
  // other separators and symbols
  '123/456',
  '123_456',
  '123,456',
  '123:456',
  '123+456',
  '+123456',
  '123456!',
  '123\u00a0456',
  '\u00a0123456',
  '123\u3000456',
  '123\u200b456',
  '\ufeff123456',
  '123\t456',
  '123\n456',
  '123–456',
  '123－456',
  '123‐456',
  '123·456',
  '123。456',
  // letters
  '12345a',
  'abcdef',
  '12345O',
  '0x1234',
  '1e5000',
  'I23456',
  '123 456a',
  'ABCD-EFGH',
  // digits of other scripts
  '١٢٣٤٥٦',
  '١٢٣٤٥٦٧٨',
  '۱۲۳۴۵۶',
  '１２３４５６',
  '１２３４５６７８',
  '12345６',
  '１２３ ４５６',
  '१२३४५६',
  '๑๒๓๔๕๖',
  '𝟏𝟐𝟑𝟒𝟓𝟔',
  '¹²³⁴⁵⁶',
  '①②③④⑤⑥',
  '1\u0301' + '23456',
];

describe('the code field and the server agree on what a code is', () => {
  it.each([[[6]], [[8]], [[6, 8]], [undefined]] as [OtpDigits[] | undefined][])(
    "digits %j: the browser pattern (v and u flags) gives the server's verdict on every input",
    (digits) => {
      const pattern = attribute(field(digits), 'pattern');
      const lengths = digits ?? [6, 8];
      const server = (input: string) => lengths.some((d) => normalizeCode(input, d).ok);
      for (const flag of ['v', 'u']) {
        const browser = new RegExp(`^(?:${pattern})$`, flag);
        const disagreements = INPUTS.filter((input) => browser.test(input) !== server(input));
        expect(disagreements, `flag ${flag}`).toEqual([]);
      }
    },
  );

  it('the inputs cover both verdicts for each length (the comparison above is not vacuous)', () => {
    for (const digits of [6, 8] as const) {
      const accepted = INPUTS.filter((input) => normalizeCode(input, digits).ok);
      expect(accepted.length).toBeGreaterThan(10);
      expect(INPUTS.length - accepted.length).toBeGreaterThan(50);
    }
    const pattern = new RegExp(`^(?:${attribute(field([6]), 'pattern')})$`, 'v');
    expect(['123.456', '123-456', '123 456', '123456'].every((ok) => pattern.test(ok))).toBe(true);
    expect(['١٢٣٤٥٦', '１２３４５６', '12345', '1234567', '12345a'].some((bad) => pattern.test(bad))).toBe(false);
  });

  it("a 6-digit device's field refuses 8 digits and the other way round", () => {
    expect(new RegExp(`^(?:${attribute(field([6]), 'pattern')})$`, 'v').test('12345678')).toBe(false);
    expect(new RegExp(`^(?:${attribute(field([8]), 'pattern')})$`, 'v').test('123456')).toBe(false);
  });

  it('takes as many characters as the server does', () => {
    expect(attribute(field(), 'maxlength')).toBe(String(OTP_CODE_MAX_LENGTH));
    expect(normalizeCode('123456'.padEnd(OTP_CODE_MAX_LENGTH), 6).ok).toBe(true);
    expect(normalizeCode('123456'.padEnd(OTP_CODE_MAX_LENGTH + 1), 6).ok).toBe(false);
  });
});
