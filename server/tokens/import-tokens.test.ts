import { describe, expect, it } from 'vitest';
import { decodePreSharedKey, detectTokenFormat } from './import-tokens.js';

describe('detectTokenFormat', () => {
  it.each([
    ['tokens.csv', 'csv'],
    ['TOKENS.CSV', 'csv'],
    ['vendor.pskc', 'pskc'],
    ['vendor.pskcxml', 'pskc'],
    ['dir.csv/vendor.xml', 'pskc'],
    ['vendor.txt', undefined],
    ['vendor', undefined],
    ['vendor.csv.gz', undefined],
    ['vendor.constructor', undefined],
    ['vendor.__proto__', undefined],
  ])('%s → %s', (path, expected) => {
    expect(detectTokenFormat(path)).toBe(expected);
  });
});

describe('decodePreSharedKey', () => {
  const key16 = Buffer.from('12345678901234567890123456789012', 'hex');
  it.each([
    ['hex, 128 bits', '12345678901234567890123456789012\n', key16],
    ['hex with spaces around', '  12345678901234567890123456789012  ', key16],
    ['base64, 128 bits', key16.toString('base64'), key16],
    ['hex, 256 bits', 'ab'.repeat(32), Buffer.alloc(32, 0xab)],
    ['base64, 192 bits', Buffer.alloc(24, 7).toString('base64'), Buffer.alloc(24, 7)],
  ])('reads %s', (_name, text, expected) => {
    expect(decodePreSharedKey(text)).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['hex, 120 bits', '123456789012345678901234567890'],
    ['hex, 136 bits', '1234567890123456789012345678901234'],
    ['base64 of 20 bytes', Buffer.alloc(20).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
    ['hex with inner spaces', '12345678 90123456 78901234 56789012'],
  ])('refuses %s', (_name, text) => {
    expect(decodePreSharedKey(text)).toBeUndefined();
  });
});
