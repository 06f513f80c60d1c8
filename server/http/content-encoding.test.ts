import { describe, expect, it } from 'vitest';
import { chooseEncoding, type ContentCoding } from './content-encoding.js';

const BOTH: ContentCoding[] = ['br', 'gzip'];

describe('chooseEncoding', () => {
  it.each([
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip;q=1.0, br;q=0.9', 'gzip'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['  br ;  q=0.8 ,gzip;q=0.1', 'br'],
    ['Gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0.1, br;q=0', 'gzip'],
    ['br;q=0.001', 'br'],
    ['br;q=1.000', 'br'],
  ] as const)('%j → %s', (header, expected) => {
    expect(chooseEncoding(header, BOTH)).toBe(expected);
  });

  it.each([
    [undefined],
    [''],
    ['identity'],
    ['deflate, compress'],
    ['br;q=0, gzip;q=0'],
    ['br;q=0.0, gzip;q=0.000'],
    ['*;q=0'],
    ['br;q=1.1'],
    ['br;q=-1'],
    ['br;q=.5'],
    ['br;q=0.5000'],
    ['br;q=1e0'],
    ['br;q=NaN'],
    ['br;q='],
    ['br;level=5'],
    ['br gzip'],
    ['"br"'],
    ['br\u0000'],
    ['b\u0072;q=0x1'],
  ] as const)('%j → nothing: identity, always acceptable', (header) => {
    expect(chooseEncoding(header, BOTH)).toBeUndefined();
  });

  it('takes only what is available', () => {
    expect(chooseEncoding('br', ['gzip'])).toBeUndefined();
    expect(chooseEncoding('br, gzip', ['gzip'])).toBe('gzip');
    expect(chooseEncoding('br, gzip', [])).toBeUndefined();
  });

  it('keeps the first weight of a coding named twice', () => {
    expect(chooseEncoding('br;q=0, br', BOTH)).toBeUndefined();
    expect(chooseEncoding('br, br;q=0', BOTH)).toBe('br');
  });

  it('reads a bounded number of entries: a coding named after many others is not looked at', () => {
    const padding = Array.from({ length: 100 }, (_, i) => `x-${i}`).join(', ');
    expect(chooseEncoding(`${padding}, br`, BOTH)).toBeUndefined();
    expect(chooseEncoding(`br, ${padding}`, BOTH)).toBe('br');
    expect(chooseEncoding(`${'a'.repeat(100_000)}, gzip`, BOTH)).toBe('gzip');
  });
});
