import { describe, expect, it } from 'vitest';
import { MAX_CODE_INPUT_LENGTH, normalizeCode } from './normalize-code.js';

describe('normalizeCode', () => {
  it.each([
    ['123456', '123456'],
    ['012345', '012345'],
    ['000000', '000000'],
    ['123 456', '123456'],
    ['123  456', '123456'],
    ['12 3456', '123456'],
    ['12345 6', '123456'],
    ['123-456', '123456'],
    ['123.456', '123456'],
    ['123 - 456', '123456'],
    ['123- 456', '123456'],
    ['123 .456', '123456'],
    [' 123456 ', '123456'],
    ['\t123456\n', '123456'],
    ['123456\r\n', '123456'],
    ['  123 456  ', '123456'],
  ])('6 digits: %j → %s', (input, code) => expect(normalizeCode(input, 6)).toEqual({ ok: true, code }));

  it.each([
    ['12345678', '12345678'],
    ['1234 5678', '12345678'],
    ['1234-5678', '12345678'],
    ['1234.5678', '12345678'],
    [' 00000000 ', '00000000'],
  ])('8 digits: %j → %s', (input, code) => expect(normalizeCode(input, 8)).toEqual({ ok: true, code }));

  it.each([
    ['not a string: number', 123456],
    ['not a string: null', null],
    ['not a string: undefined', undefined],
    ['not a string: array', ['123456']],
    ['not a string: object with toString', { toString: () => '123456' }],
    ['not a string: String object', new String('123456')],
    ['empty', ''],
    ['only spaces', '      '],
    ['only a dash', '-'],
    ['too short', '12345'],
    ['too long', '1234567'],
    ['8 digits when 6 are expected', '12345678'],
    ['6 digits split', '123 45'],
    ['letters', '12345a'],
    ['hex-looking', '0x1234'],
    ['letter O for zero', '12345O'],
    ['exponent', '1e5000'],
    ['sign', '+123456'],
    ['negative', '-123456'],
    ['leading separator', '.123456'],
    ['trailing dash', '123456-'],
    ['trailing dot', '123456.'],
    ['two dashes', '123--456'],
    ['dash and dot', '123-.456'],
    ['two groups of spaces', '12 34 56'],
    ['two dashes in groups', '12-34-56'],
    ['slash', '123/456'],
    ['underscore', '123_456'],
    ['comma', '123,456'],
    ['tab inside', '123\t456'],
    ['newline inside', '123\n456'],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['Extended Arabic-Indic (Persian) digits', '۱۲۳۴۵۶'],
    ['full-width digits', '１２３４５６'],
    ['one full-width digit among ASCII', '12345６'],
    ['Devanagari digits', '१२३४५६'],
    ['mathematical bold digits', '𝟏𝟐𝟑𝟒𝟓𝟔'],
    ['superscript digits', '¹²³⁴⁵⁶'],
    ['full-width hyphen', '123－456'],
    ['en dash', '123–456'],
    ['no-break space inside', '123\u00a0456'],
    ['no-break space around', '\u00a0123456\u00a0'],
    ['ideographic space', '123\u3000456'],
    ['zero-width space', '123\u200b456'],
    ['BOM before', '\ufeff123456'],
    ['combining mark', '1\u0301' + '23456'],
    ['NUL byte', '123456\0'],
    ['huge string of digits', '1'.repeat(1_000_000)],
    ['huge string of spaces then the code', ' '.repeat(100_000) + '123456'],
    ['33 characters', '123456' + ' '.repeat(27)],
  ])('refuses %s', (_name, input) => expect(normalizeCode(input, 6)).toEqual({ ok: false, reason: 'malformed' }));

  it('accepts up to 32 characters with padding, and no more', () => {
    expect(normalizeCode('123456' + ' '.repeat(26), 6)).toEqual({ ok: true, code: '123456' });
    expect(normalizeCode('123456' + ' '.repeat(27), 6).ok).toBe(false);
  });

  it('refuses a megabyte-long input quickly (capped before any regex)', () => {
    const huge = '1 '.repeat(500_000);
    const justOver = '1 '.repeat(MAX_CODE_INPUT_LENGTH / 2 + 1);
    // A megabyte costs what 34 characters cost when the length is checked first; a regex over
    // it would cost a thousand times more. Timed side by side, as load stretches both alike;
    // the best of a few rounds, since a stall can hit either side of one.
    const time = (input: string) => {
      const started = performance.now();
      for (let i = 0; i < 1000; i++) expect(normalizeCode(input, 6).ok).toBe(false);
      return performance.now() - started;
    };
    const ratios: number[] = [];
    while (ratios.length < 5 && !ratios.some((r) => r < 3)) ratios.push(time(huge) / time(justOver));
    expect(Math.min(...ratios), JSON.stringify(ratios)).toBeLessThan(3);
  });

  it.each(['1234567', '123456789', '1234 567', '123-4567', '1234 56789'])('8 digits refuses %j', (input) =>
    expect(normalizeCode(input, 8)).toEqual({ ok: false, reason: 'malformed' }),
  );
});
