import { describe, expect, it } from 'vitest';
import { parseTokenCsv } from './parse-token-csv.js';

const HEADER = 'serial,secret,type,digits,period,counter';
const HEX = '3132333435363738393031323334353637383930';
const BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const SECRET = Buffer.from('12345678901234567890');
const hexOf = (i: number) => Buffer.alloc(20, i + 1).toString('hex');

const errorsOf = (text: string) => {
  const result = parseTokenCsv(text);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
};

describe('parseTokenCsv reads', () => {
  it('HOTP and TOTP rows in hex and base32, with defaults for empty fields', () => {
    const text = [HEADER, `H1,${HEX},hotp,6,,5`, `H2,hex:${HEX},HOTP,8,30,`, `T1,${BASE32},totp,6,60,`, `T2,base32:${BASE32.toLowerCase()},totp,8,30,0`, ''].join('\n');
    expect(parseTokenCsv(text)).toEqual({
      ok: true,
      tokens: [
        { serial: 'H1', kind: 'hotp', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, counter: 5 },
        { serial: 'H2', kind: 'hotp', secret: SECRET, algorithm: 'SHA1', digits: 8, period: 30, counter: 0 },
        { serial: 'T1', kind: 'totp', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 60, counter: 0 },
        { serial: 'T2', kind: 'totp', secret: SECRET, algorithm: 'SHA1', digits: 8, period: 30, counter: 0 },
      ],
      notes: [],
    });
  });

  it('a UTF-8 BOM, CRLF line ends, blank lines, spaces around fields and quoted fields', () => {
    const text = `\uFEFF${HEADER}\r\n"0001", ${HEX} ,hotp,6,,0\r\n\r\n"0002","${HEX}",totp,6,30,\r\n`;
    const result = parseTokenCsv(text);
    expect(result).toMatchObject({
      ok: true,
      tokens: [
        { serial: '0001', secret: SECRET },
        { serial: '0002', kind: 'totp' },
      ],
    });
  });

  it('the optional algorithm column', () => {
    const secret64 = Buffer.alloc(64, 5).toString('hex');
    const text = `${HEADER},algorithm\nA,${HEX},totp,6,30,,\nB,${Buffer.alloc(32, 9).toString('hex')},totp,8,30,,sha256\nC,${secret64},totp,8,60,,SHA512\n`;
    expect(parseTokenCsv(text)).toMatchObject({ ok: true, tokens: [{ algorithm: 'SHA1' }, { algorithm: 'SHA256' }, { algorithm: 'SHA512', period: 60 }] });
  });
});

describe('parseTokenCsv refuses, naming the line', () => {
  it.each([
    ['bad hex: odd length', `S1,${HEX}1,hotp,6,,0`, 'the secret is not valid hex (an even number of digits is needed)'],
    ['bad hex: a letter past F', `S1,${HEX.slice(0, -2)}zz,hotp,6,,0`, 'the secret is neither hex nor base32'],
    ['bad hex: prefixed', `S1,hex:${HEX.slice(0, -2)}gg,hotp,6,,0`, 'the secret is not valid hex (only 0-9 and A-F)'],
    ['bad hex: spaces inside', `S1,3132 3334 3536 3738 3930 3132 3334 3536 3738 3930,hotp,6,,0`, 'the secret is not valid hex'],
    ['bad base32: wrong length', `S1,${BASE32}A,totp,6,30,`, 'the secret is not valid base32 (wrong length)'],
    ['bad base32: prefixed hex', `S1,base32:${HEX},totp,6,30,`, 'the secret is not valid base32'],
    ['ambiguous secret', 'S1,ABCDEF234567ABCDEF234567ABCDEF23,hotp,6,,0', 'could be hex or base32'],
    ['empty secret', 'S1,,hotp,6,,0', 'the secret is empty'],
    ['short secret (64 bits)', 'S1,3132333435363738,hotp,6,,0', 'the secret is 64 bits; at least 128 are required'],
    ['short secret (120 bits)', `S1,${'31'.repeat(15)},hotp,6,,0`, 'the secret is 120 bits'],
    ['unknown type', `S1,${HEX},motp,6,,0`, 'unknown type "motp" (hotp or totp)'],
    ['empty type', `S1,${HEX},,6,,0`, 'unknown type ""'],
    ['7 digits', `S1,${HEX},hotp,7,,0`, 'digits must be 6 or 8, not "7"'],
    ['06 digits', `S1,${HEX},hotp,06,,0`, 'digits must be 6 or 8'],
    ['period 45', `S1,${HEX},totp,6,45,`, 'period must be 30 or 60 for TOTP, not "45"'],
    ['TOTP without period', `S1,${HEX},totp,6,,`, 'period must be 30 or 60 for TOTP, not ""'],
    ['HOTP period 10', `S1,${HEX},hotp,6,10,0`, 'period must be empty, 30 or 60'],
    ['negative counter', `S1,${HEX},hotp,6,,-1`, 'counter must be a non-negative whole number, not "-1"'],
    ['fractional counter', `S1,${HEX},hotp,6,,1.5`, 'counter must be a non-negative whole number'],
    ['huge counter', `S1,${HEX},hotp,6,,99999999999999999`, 'counter must be a non-negative whole number'],
    ['counter on TOTP', `S1,${HEX},totp,6,30,7`, 'counter is for HOTP tokens'],
    ['a non-ASCII spelling of SHA1 is not SHA1', `S1,${HEX},hotp,6,,0,ſha1`, 'algorithm must be SHA1, SHA256 or SHA512'],
    ['serial with a space', `S 1,${HEX},hotp,6,,0`, 'the serial must be'],
  ])('%s', (_name, row, expected) => {
    const algorithmColumn = row.split(',').length === 7 ? ',algorithm' : '';
    const errors = errorsOf(`${HEADER}${algorithmColumn}\nGOOD,${HEX},hotp,6,,0${algorithmColumn ? ',' : ''}\n${row}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^line 3( \(serial [^)]*\))?: /);
    expect(errors[0]).toContain(expected);
  });

  it.each([
    ['too few columns', `S1,${HEX},hotp,6,0`, 'line 2: has 5 columns; 6 expected'],
    ['too many columns', `S1,${HEX},hotp,6,,0,extra`, 'line 2: has 7 columns; 6 expected'],
    ['an unclosed quote', `"S1,${HEX},hotp,6,,0`, 'line 2: a quoted field is not closed'],
    ['a stray quote', `S"1,${HEX},hotp,6,,0`, 'line 2: a quote inside an unquoted field'],
    ['text after a quote', `"S1"x,${HEX},hotp,6,,0`, 'line 2: text after a closing quote'],
  ])('%s', (_name, row, expected) => {
    expect(errorsOf(`${HEADER}\n${row}\n`)).toEqual([expected]);
  });

  it.each([
    ['no header', `S1,${HEX},hotp,6,,0\n`],
    ['columns in another order', `secret,serial,type,digits,period,counter\n${HEX},S1,hotp,6,,0\n`],
    ['an unknown extra column', `${HEADER},owner\nS1,${HEX},hotp,6,,0,alice\n`],
    ['an empty file', ''],
  ])('refuses a file with %s, without quoting its first line', (_name, text) => {
    const errors = errorsOf(text);
    expect(errors).toEqual(['line 1: the first line must be the header "serial,secret,type,digits,period,counter" (optionally followed by ",algorithm")']);
  });

  it('a header alone holds no tokens', () => {
    expect(errorsOf(`${HEADER}\n\n`)).toEqual(['the file holds no tokens']);
  });

  it('refuses duplicate serials, naming both lines', () => {
    const errors = errorsOf(`${HEADER}\nA,${hexOf(1)},hotp,6,,0\nB,${hexOf(2)},hotp,6,,0\nA,${hexOf(3)},totp,6,30,\n`);
    expect(errors).toEqual(['line 4 (serial A): serial A appears again (first in line 2 (serial A))']);
  });

  it('imports nothing from 5 good rows and 1 bad one, and lists every bad row', () => {
    const good = Array.from({ length: 5 }, (_, i) => `G${i},${hexOf(i)},hotp,6,,0`);
    expect(errorsOf([HEADER, ...good, `BAD,${HEX}zz,hotp,6,,0`].join('\n'))).toEqual([
      'line 7 (serial BAD): the secret is neither hex nor base32 (it mixes 0, 1, 8 or 9 with letters past F)',
    ]);
    const errors = errorsOf([HEADER, `X1,${HEX},hotp,9,,0`, ...good, `X2,${HEX},totp,6,31,`].join('\r\n'));
    expect(errors).toEqual(['line 2 (serial X1): digits must be 6 or 8, not "9"', 'line 8 (serial X2): period must be 30 or 60 for TOTP, not "31"']);
  });

  it('reports every problem of a row, and never a secret', () => {
    const errors = errorsOf(`${HEADER}\nS1,${HEX.slice(0, 30)},xotp,5,,-3\n`);
    expect(errors).toHaveLength(4);
    expect(errors.join('\n')).not.toContain(HEX.slice(0, 30));
  });

  it('refuses files over 5 MB and over 10,000 rows', () => {
    expect(errorsOf(`${HEADER}\n${' '.repeat(5 * 1024 * 1024)}`)).toEqual(['the file is larger than 5 MB']);
    const rows = Array.from({ length: 10_001 }, (_, i) => `S${i},${HEX},hotp,6,,0`);
    expect(errorsOf([HEADER, ...rows].join('\n'))).toEqual(['the file holds 10001 rows; at most 10000 are imported at once']);
  });
});
