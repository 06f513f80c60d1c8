import type { IncomingMessage } from 'node:http';

/** A file upload form, read whole: its text fields and at most one file. */
export interface UploadForm {
  fields: Record<string, string>;
  file: { field: string; filename: string; content: Buffer } | undefined;
}

export type ReadUploadResult = { ok: true; form: UploadForm } | { ok: false; reason: 'too-large' | 'malformed' };

const MAX_PARTS = 12;
const MAX_PART_HEADERS = 1024;
const MAX_FIELD_BYTES = 4096;
// RFC 2046 §5.1.1: 1-70 characters from this set, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

export function isMultipartForm(contentType: string | undefined): boolean {
  return /^multipart\/form-data\s*;/i.test(contentType ?? '');
}

/**
 * Reads a multipart/form-data body (RFC 7578) of at most `maxBytes`. The declared length is
 * checked before anything is read, and the count while the body streams in: past the limit
 * reading stops at once, so an oversized upload is never held in memory. Only what a token
 * upload needs is accepted: a few text fields, one file, no nesting, no repeated names.
 */
export async function readUploadForm(req: IncomingMessage, maxBytes: number): Promise<ReadUploadResult> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary) return { ok: false, reason: 'malformed' };
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(/^\d{1,15}$/.test(declared) && Number(declared) <= maxBytes)) return { ok: false, reason: /^\d+$/.test(declared) ? 'too-large' : 'malformed' };
  const body = await readBounded(req, maxBytes);
  if (body === 'too-large') return { ok: false, reason: 'too-large' };
  if (body === 'aborted') return { ok: false, reason: 'malformed' };
  const form = parseMultipart(body, boundary);
  return form ? { ok: true, form } : { ok: false, reason: 'malformed' };
}

function boundaryOf(contentType: string | undefined): string | undefined {
  if (!isMultipartForm(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType!);
  const value = match?.[1] ?? match?.[2];
  return value !== undefined && BOUNDARY.test(value) ? value : undefined;
}

/**
 * The body; `too-large` as soon as it passes `maxBytes` (the rest is left unread); `aborted` when
 * the client goes away first (an outcome, not an error: nothing to log).
 */
function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (value: Buffer | 'too-large' | 'aborted') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onAborted);
      req.pause();
      chunks.length = 0;
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish('too-large');
      chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, size));
    const onAborted = () => finish('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onAborted);
  });
}

/** Splits a buffered body into parts; undefined for anything outside the narrow shape accepted. */
export function parseMultipart(body: Buffer, boundary: string): UploadForm | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  // The first delimiter may follow a preamble; every later one follows a CRLF.
  let position = body.indexOf(delimiter);
  if (position === -1) return undefined;
  const fields: Record<string, string> = Object.create(null);
  let file: UploadForm['file'];
  const seen = new Set<string>();
  for (let parts = 0; ; parts++) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString('latin1') === '--') return parts === 0 ? undefined : { fields: { ...fields }, file };
    if (parts === MAX_PARTS || !body.subarray(position, position + 2).equals(CRLF)) return undefined;
    const headersStart = position + 2;
    const headersEnd = body.indexOf(HEADERS_END, headersStart);
    if (headersEnd === -1 || headersEnd - headersStart > MAX_PART_HEADERS) return undefined;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next === -1) return undefined;
    const disposition = dispositionOf(body.subarray(headersStart, headersEnd).toString('latin1'));
    if (!disposition || seen.has(disposition.name)) return undefined;
    seen.add(disposition.name);
    const content = body.subarray(headersEnd + 4, next);
    if (disposition.filename !== undefined) {
      if (file) return undefined;
      file = { field: disposition.name, filename: disposition.filename, content };
    } else {
      if (content.length > MAX_FIELD_BYTES) return undefined;
      fields[disposition.name] = content.toString('utf8');
    }
    position = next + 2;
  }
}

/** `Content-Disposition: form-data; name="…"[; filename="…"]` among a part's headers. */
function dispositionOf(headers: string): { name: string; filename?: string } | undefined {
  const line = headers.split('\r\n').find((h) => /^content-disposition:/i.test(h));
  if (!line || !/^content-disposition:\s*form-data\s*;/i.test(line)) return undefined;
  const name = /;\s*name="([^"]{1,64})"/i.exec(line)?.[1];
  const filename = /;\s*filename="([^"]{0,255})"/i.exec(line)?.[1];
  if (name === undefined || !/^[A-Za-z0-9_-]+$/.test(name)) return undefined;
  return filename === undefined ? { name } : { name, filename };
}
