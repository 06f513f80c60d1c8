import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isMultipartForm, parseMultipart, readUploadForm } from './read-upload-form.js';

const B = 'XyZ-boundary';
const part = (name: string, value: string, filename?: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n${filename === undefined ? '' : 'Content-Type: text/csv\r\n'}\r\n${value}\r\n`;
const body = (...parts: string[]) => Buffer.from(`${parts.join('')}--${B}--\r\n`);

describe('parseMultipart', () => {
  it('reads the fields and the one file, the file byte for byte (CRLF and boundary-like text inside)', () => {
    const content = `serial,secret\r\n--${B.slice(0, 5)}\r\n\r\n--not-it\r\n`;
    const form = parseMultipart(body(part('csrf', 'tok'), part('password', 'pä ss'), part('file', content, 'a.csv')), B);
    expect(form).toEqual({ fields: { csrf: 'tok', password: 'pä ss' }, file: { field: 'file', filename: 'a.csv', content: Buffer.from(content) } });
  });

  it('accepts a preamble and an empty file', () => {
    const form = parseMultipart(Buffer.concat([Buffer.from('preamble\r\n'), body(part('file', '', 'empty.csv'))]), B);
    expect(form?.file?.content.length).toBe(0);
  });

  it.each([
    ['no delimiter at all', Buffer.from('just text')],
    ['no part before the end', Buffer.from(`--${B}--\r\n`)],
    ['no final delimiter', Buffer.from(part('csrf', 'x'))],
    ['a part without its blank line', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nvalue\r\n--${B}--`)],
    ['a delimiter not followed by CRLF', Buffer.from(`--${B}XContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--`)],
    ['no Content-Disposition', Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--${B}--`)],
    ['a disposition other than form-data', Buffer.from(`--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--${B}--`)],
    ['a name with other characters', body(part('a b', 'v'))],
    ['a name hidden in a filename', Buffer.from(`--${B}\r\nContent-Disposition: form-data; filename="x;name="; name="csrf"\r\n\r\nv\r\n--${B}--`)],
    ['a field twice', body(part('csrf', 'a'), part('csrf', 'b'))],
    ['two files', body(part('file', 'a', 'a.csv'), part('other', 'b', 'b.csv'))],
    ['a field over 4 KiB', body(part('password', 'p'.repeat(4097)))],
    ['part headers over 1 KiB', Buffer.from(`--${B}\r\nX-Pad: ${'p'.repeat(1100)}\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--`)],
    ['thirteen parts', body(...Array.from({ length: 13 }, (_, i) => part(`f${i}`, 'v')))],
  ])('refuses %s', (_name, input) => {
    expect(parseMultipart(input, B)).toBeUndefined();
  });

  it('a field named __proto__ is a plain field, not the prototype', () => {
    const form = parseMultipart(body(part('__proto__', 'x'), part('csrf', 't')), B)!;
    expect(Object.getPrototypeOf(form.fields)).toBe(Object.prototype);
    expect((form.fields as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('readUploadForm', () => {
  const request = (chunks: Buffer[], headers: Record<string, string>) => Object.assign(Readable.from(chunks), { headers }) as unknown as IncomingMessage;

  it.each([
    ['text/plain', false],
    ['multipart/form-data', false],
    ['multipart/form-data; boundary=x', true],
    ['Multipart/Form-Data ; boundary=x', true],
    ['multipart/mixed; boundary=x', false],
  ])('isMultipartForm(%j) is %s', (type, expected) => {
    expect(isMultipartForm(type)).toBe(expected);
  });

  it('a declared length over the limit is refused before anything is read', async () => {
    let read = false;
    const req = Object.assign(
      new Readable({
        read() {
          read = true;
          this.push(null);
        },
      }),
      { headers: { 'content-type': `multipart/form-data; boundary=${B}`, 'content-length': '1001' } },
    ) as unknown as IncomingMessage;
    expect(await readUploadForm(req, 1000)).toEqual({ ok: false, reason: 'too-large' });
    expect(read).toBe(false);
  });

  it.each(['-1', '1e3', '0x10', ' 10', '99999999999999999999'])('a malformed declared length %j is refused', async (length) => {
    const res = await readUploadForm(request([body(part('a', 'b'))], { 'content-type': `multipart/form-data; boundary=${B}`, 'content-length': length }), 1000);
    expect(res.ok).toBe(false);
  });

  it('a body without a length stops being read once past the limit', async () => {
    const pulled: number[] = [];
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(100, i));
    const stream = Readable.from(
      (function* () {
        for (const [i, c] of chunks.entries()) {
          pulled.push(i);
          yield c;
        }
      })(),
    );
    const req = Object.assign(stream, { headers: { 'content-type': `multipart/form-data; boundary=${B}` } }) as unknown as IncomingMessage;
    expect(await readUploadForm(req, 1000)).toEqual({ ok: false, reason: 'too-large' });
    expect(pulled.length).toBeLessThan(30);
  });

  it('a body within the limit is parsed', async () => {
    const res = await readUploadForm(request([body(part('csrf', 't'), part('file', 'x', 'f.csv'))], { 'content-type': `multipart/form-data; boundary="${B}"` }), 1000);
    expect(res.ok && res.form.fields.csrf).toBe('t');
  });
});
