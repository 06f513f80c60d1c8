import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isMultipartForm, readUploadForm } from './read-upload-form.js';

const B = 'XyZ-boundary';
const TYPE = `multipart/form-data; boundary=${B}`;
const part = (name: string, value: string, filename?: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n${filename === undefined ? '' : 'Content-Type: text/csv\r\n'}\r\n${value}\r\n`;
const body = (...parts: string[]) => Buffer.from(`${parts.join('')}--${B}--\r\n`);
const request = (chunks: Buffer[], headers: Record<string, string>) => Object.assign(Readable.from(chunks), { headers }) as unknown as IncomingMessage;
/** The body as one chunk, or one byte a chunk (every split point a delimiter can straddle). */
const read = (input: Buffer, bytewise = false) => readUploadForm(request(bytewise ? [...input].map((b) => Buffer.from([b])) : [input], { 'content-type': TYPE }), 1 << 20);
const formOf = async (input: Buffer) => {
  const res = await read(input);
  return res.ok ? res.form : undefined;
};

describe('reading the parts', () => {
  it.each([false, true])('reads the fields and the one file, the file byte for byte (CRLF and boundary-like text inside; byte by byte: %s)', async (bytewise) => {
    const content = `serial,secret\r\n--${B.slice(0, 5)}\r\n\r\n--not-it\r\n--${B.slice(0, -1)}\r\n`;
    const res = await read(body(part('csrf', 'tok'), part('password', 'pä ss'), part('file', content, 'a.csv')), bytewise);
    expect(res).toEqual({ ok: true, form: { fields: { csrf: 'tok', password: 'pä ss' }, file: { field: 'file', filename: 'a.csv', content: Buffer.from(content) } } });
  });

  it('accepts a preamble and an empty file', async () => {
    const form = await formOf(Buffer.concat([Buffer.from('preamble\r\n'), body(part('file', '', 'empty.csv'))]));
    expect(form?.file?.content.length).toBe(0);
  });

  it('a part typed application/octet-stream without a filename is the file, with an empty name', async () => {
    const form = await formOf(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"\r\nContent-Type: application/octet-stream\r\n\r\nabc\r\n--${B}--`));
    expect(form?.file).toEqual({ field: 'file', filename: '', content: Buffer.from('abc') });
  });

  it('limits at their edge: twelve fields, eleven fields and a file, a field of 4 KiB, are accepted', async () => {
    expect(Object.keys((await formOf(body(...Array.from({ length: 12 }, (_, i) => part(`f${i}`, 'v')))))?.fields ?? {})).toHaveLength(12);
    const fieldsAndFile = await formOf(body(...Array.from({ length: 11 }, (_, i) => part(`f${i}`, 'v')), part('file', 'x', 'a.csv')));
    expect([Object.keys(fieldsAndFile?.fields ?? {}).length, fieldsAndFile?.file?.field]).toEqual([11, 'file']);
    expect((await formOf(body(part('password', 'p'.repeat(4096)))))?.fields.password).toHaveLength(4096);
  });

  it('a part without Content-Disposition, or with another disposition, is skipped (busboy), never read as a field', async () => {
    const other = `--${B}\r\nContent-Disposition: attachment; name="csrf"\r\n\r\nforged\r\n`;
    const none = `--${B}\r\nContent-Type: text/plain\r\n\r\nv\r\n`;
    expect(await formOf(body(other, none, part('key', 'k')))).toEqual({ fields: { key: 'k' }, file: undefined });
  });

  it('a name inside a quoted filename is not the part name', async () => {
    const form = await formOf(Buffer.from(`--${B}\r\nContent-Disposition: form-data; filename="x;name="; name="csrf"\r\n\r\nv\r\n--${B}--`));
    expect(form).toEqual({ fields: {}, file: { field: 'csrf', filename: 'x;name=', content: Buffer.from('v') } });
  });

  it.each([
    ['../../etc/passwd.csv', 'passwd.csv'],
    ['C:\\\\Users\\\\me\\\\tokens.pskc', 'tokens.pskc'],
    ['/tmp/..', ''],
    ['..', ''],
  ])('a filename with path separators (%j) keeps only its last segment (%j): it only guides the format guess', async (sent, kept) => {
    expect((await formOf(body(part('file', 'x', sent))))?.file?.filename).toBe(kept);
  });

  it('a percent-encoded UTF-8 filename (RFC 5987 filename*) is decoded', async () => {
    const form = await formOf(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''%E2%82%AC%20tokens.csv\r\n\r\nv\r\n--${B}--`));
    expect(form?.file?.filename).toBe('€ tokens.csv');
  });

  it('a field named __proto__ is a plain field, not the prototype', async () => {
    const form = (await formOf(body(part('__proto__', 'x'), part('csrf', 't'))))!;
    expect(form.fields.csrf).toBe('t');
    expect(Object.getPrototypeOf(form.fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('refusing a malformed body', () => {
  const headerFlood = (bytes: number) => `--${B}\r\n${'X-Pad: p\r\n'.repeat(Math.ceil(bytes / 10))}Content-Disposition: form-data; name="a"\r\n\r\nv\r\n`;
  it.each([
    ['no delimiter at all', Buffer.from('just text')],
    ['no part before the end', Buffer.from(`--${B}--\r\n`)],
    ['no final delimiter', Buffer.from(part('csrf', 'x'))],
    ['a body cut inside the file', body(part('csrf', 'x'), part('file', 'serial,secret\r\n1,00', 'a.csv')).subarray(0, -`\r\n--${B}--\r\n`.length - 3)],
    ['a body cut inside part headers', Buffer.from(`--${B}\r\nContent-Disposition: form-da`)],
    ['a body cut inside the closing delimiter', body(part('csrf', 'x')).subarray(0, -5)],
    ['a part without its blank line', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nvalue\r\n--${B}--`)],
    ['a delimiter not followed by CRLF', Buffer.from(`--${B}XContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--`)],
    ['only parts without Content-Disposition', Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--${B}--`)],
    ['only a disposition other than form-data', Buffer.from(`--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--${B}--`)],
    ['a part without a name', Buffer.from(`--${B}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--${B}--`)],
    ['an empty name', body(part('', 'v'))],
    ['a name with other characters', body(part('a b', 'v'))],
    ['a name over 64 characters', body(part('n'.repeat(65), 'v'))],
    ['a file without a name', Buffer.from(`--${B}\r\nContent-Disposition: form-data; filename="a.csv"\r\n\r\nv\r\n--${B}--`)],
    ['a field twice', body(part('csrf', 'a'), part('csrf', 'b'))],
    ['a field and a file of the same name', body(part('file', 'a'), part('file', 'b', 'b.csv'))],
    ['two files', body(part('file', 'a', 'a.csv'), part('other', 'b', 'b.csv'))],
    ['two files of the same name', body(part('file', 'a', 'a.csv'), part('file', 'b', 'b.csv'))],
    ['a field over 4 KiB', body(part('password', 'p'.repeat(4097)))],
    ['twelve fields and a file', body(...Array.from({ length: 12 }, (_, i) => part(`f${i}`, 'v')), part('file', 'x', 'a.csv'))],
    ['thirteen parts', body(...Array.from({ length: 13 }, (_, i) => part(`f${i}`, 'v')))],
    ['thirteen parts, the extra one without a disposition', body(...Array.from({ length: 12 }, (_, i) => part(`f${i}`, 'v')), `--${B}\r\nX-Other: 1\r\n\r\nv\r\n`)],
    ['part headers over 16 KiB (a header flood)', body(headerFlood(17 * 1024))],
    ['a header line without a colon', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nno colon here\r\n\r\nv\r\n--${B}--`)],
    ['a filename with a bare CR', body(part('file', 'x', 'a\rb.csv'))],
    ['a filename with a bare LF', body(part('file', 'x', 'a\nb.csv'))],
    [
      'a filename with CR LF (percent-encoded)',
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename*=utf-8''a%0D%0AX-Injected%201.csv\r\n\r\nv\r\n--${B}--`),
    ],
    ['a filename with a NUL (percent-encoded)', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename*=utf-8''a%00.pskc\r\n\r\nv\r\n--${B}--`)],
    ['a filename over 255 characters', body(part('file', 'x', `${'n'.repeat(256)}.csv`))],
  ])('refuses %s', async (_name, input) => {
    expect(await read(input)).toEqual({ ok: false, reason: 'malformed' });
    expect(await read(input, true)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a flood of a thousand header lines (10 KiB) is read without harm: the part still needs its disposition', async () => {
    expect((await formOf(body(headerFlood(10 * 1024))))?.fields).toEqual({ a: 'v' });
  });

  it.each([
    ['no boundary', 'multipart/form-data; charset=utf-8'],
    ['an empty boundary', 'multipart/form-data; boundary='],
    ['a boundary of 71 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`],
    ['a boundary ending in a space', 'multipart/form-data; boundary="ab "'],
    ['another type', `multipart/mixed; boundary=${B}`],
  ])('refuses a content type with %s, before reading', async (_name, type) => {
    let read = false;
    const req = Object.assign(
      new Readable({
        read() {
          read = true;
          this.push(null);
        },
      }),
      { headers: { 'content-type': type } },
    ) as unknown as IncomingMessage;
    expect(await readUploadForm(req, 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(read).toBe(false);
  });

  it('a client that goes away mid-body: malformed, not an error', async () => {
    const stream = new Readable({ read() {} });
    const req = Object.assign(stream, { headers: { 'content-type': TYPE } }) as unknown as IncomingMessage;
    const result = readUploadForm(req, 1000);
    stream.push(Buffer.from(part('file', 'serial,', 'a.csv')));
    stream.destroy(new Error('aborted'));
    expect(await result).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('readUploadForm', () => {
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
      { headers: { 'content-type': TYPE, 'content-length': '1001' } },
    ) as unknown as IncomingMessage;
    expect(await readUploadForm(req, 1000)).toEqual({ ok: false, reason: 'too-large' });
    expect(read).toBe(false);
  });

  it.each(['-1', '1e3', '0x10', ' 10', '99999999999999999999'])('a malformed declared length %j is refused', async (length) => {
    const res = await readUploadForm(request([body(part('a', 'b'))], { 'content-type': TYPE, 'content-length': length }), 1000);
    expect(res.ok).toBe(false);
  });

  /** `count` chunks of 100 bytes after `head`, recording which were pulled. */
  const streamed = (head: string, count: number) => {
    const pulled: number[] = [];
    const stream = Readable.from(
      (function* () {
        yield Buffer.from(head);
        for (let i = 0; i < count; i++) {
          pulled.push(i);
          yield Buffer.alloc(100, 'a');
        }
      })(),
    );
    return { req: Object.assign(stream, { headers: { 'content-type': TYPE } }) as unknown as IncomingMessage, pulled, stream };
  };

  it.each([
    ['inside a file', `--${B}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n`],
    ['inside a field (past its own 4 KiB cap too)', `--${B}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n`],
    ['in a preamble (which busboy discards)', 'preamble '],
    ['in an epilogue after the closing delimiter', `${body(part('csrf', 't')).toString()}epilogue `],
  ])('a body without a length stops being read once past the limit: %s', async (_name, head) => {
    const { req, pulled, stream } = streamed(head, 100);
    expect(await readUploadForm(req, 1000)).toEqual({ ok: false, reason: 'too-large' });
    expect(pulled.length).toBeLessThan(30);
    expect(stream.isPaused()).toBe(true);
  });

  it('a body of exactly the limit is read (the count refuses only past it)', async () => {
    const within = body(part('file', 'x'.repeat(500), 'a.csv'));
    expect((await readUploadForm(request([within], { 'content-type': TYPE }), within.length)).ok).toBe(true);
    expect(await readUploadForm(request([within], { 'content-type': TYPE }), within.length - 1)).toEqual({ ok: false, reason: 'too-large' });
  });

  it('a body within the limit is parsed', async () => {
    const res = await readUploadForm(request([body(part('csrf', 't'), part('file', 'x', 'f.csv'))], { 'content-type': `multipart/form-data; boundary="${B}"` }), 1000);
    expect(res.ok && res.form.fields.csrf).toBe('t');
  });
});
