import type { IncomingMessage } from 'node:http';
import busboy, { type Busboy } from 'busboy';

/** A file upload form, read whole: its text fields and at most one file. */
export interface UploadForm {
  fields: Record<string, string>;
  file: { field: string; filename: string; content: Buffer } | undefined;
}

export type ReadUploadResult = { ok: true; form: UploadForm } | { ok: false; reason: 'too-large' | 'malformed' };

const MAX_PARTS = 12;
const MAX_FIELD_BYTES = 4096;
const MAX_FILENAME = 255;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
// RFC 2046 §5.1.1: 1-70 characters from this set, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

export function isMultipartForm(contentType: string | undefined): boolean {
  return /^multipart\/form-data\s*;/i.test(contentType ?? '');
}

/**
 * Reads a multipart/form-data body (RFC 7578) of at most `maxBytes`. The declared length is
 * checked before anything is read, and the count while the body streams in: past the limit
 * reading stops at once, so an oversized upload is never held in memory. Only what a token
 * upload needs is accepted: a few text fields, one file, no repeated names.
 */
export async function readUploadForm(req: IncomingMessage, maxBytes: number): Promise<ReadUploadResult> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary) return { ok: false, reason: 'malformed' };
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(/^\d{1,15}$/.test(declared) && Number(declared) <= maxBytes)) return { ok: false, reason: /^\d+$/.test(declared) ? 'too-large' : 'malformed' };
  return parseUpload(req, maxBytes);
}

function boundaryOf(contentType: string | undefined): string | undefined {
  if (!isMultipartForm(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType!);
  const value = match?.[1] ?? match?.[2];
  return value !== undefined && BOUNDARY.test(value) ? value : undefined;
}

/**
 * The parsing is busboy's; this keeps the narrow shape and the byte count. Any refusal settles at
 * once and stops reading (the request is unpiped and paused; the caller answers and closes). A
 * client that goes away first is an outcome, not an error: nothing to log.
 */
function parseUpload(req: IncomingMessage, maxBytes: number): Promise<ReadUploadResult> {
  return new Promise((resolve) => {
    let parser: Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // busboy signals a field or file that reaches its limit (not one that passes it): one byte more.
        // `parts` is reported when reached too, so one more than allowed: the extra part is what refuses.
        // No `headerPairs`: busboy 1.6 applies it to urlencoded bodies only; a part's headers are
        // bounded by its own 16 KiB cap (past it: 'Malformed part header') and by `maxBytes`.
        limits: { fileSize: maxBytes, files: 1, fields: MAX_PARTS, parts: MAX_PARTS + 1, fieldSize: MAX_FIELD_BYTES + 1 },
      });
    } catch {
      return resolve({ ok: false, reason: 'malformed' });
    }
    const fields: Record<string, string> = Object.create(null);
    const seen = new Set<string>();
    let file: UploadForm['file'];
    let size = 0;
    let settled = false;

    const finish = (result: ReadUploadResult) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      req.off('error', malformed);
      req.off('close', onClosed);
      req.unpipe(parser);
      req.pause();
      if (!result.ok) parser.destroy();
      resolve(result);
    };
    const malformed = () => finish({ ok: false, reason: 'malformed' });
    const tooLarge = () => finish({ ok: false, reason: 'too-large' });
    // Registered before the pipe, so the chunk that passes the limit never reaches the parser.
    const count = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge();
    };
    const onClosed = () => {
      if (!req.readableEnded) malformed();
    };
    const isNewName = (name: string | undefined): name is string => {
      if (name === undefined || !NAME.test(name) || seen.has(name)) return false;
      seen.add(name);
      return true;
    };

    parser.on('field', (name, value, info) => {
      if (!isNewName(name) || info.nameTruncated || info.valueTruncated) return malformed();
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      // A destroyed parser destroys the file stream with its reason: it is reported by the parser.
      stream.on('error', () => undefined);
      stream.on('limit', tooLarge);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // The name only guides the format guess (its extension); busboy keeps only its last path segment.
      const filename = info.filename ?? '';
      if (!isNewName(name) || filename.length > MAX_FILENAME || CONTROL.test(filename)) return malformed();
      stream.on('end', () => {
        if (!stream.truncated) file = { field: name, filename, content: Buffer.concat(chunks) };
      });
    });
    parser.on('filesLimit', malformed);
    parser.on('fieldsLimit', malformed);
    parser.on('partsLimit', malformed);
    // Also a body that ends before its closing delimiter ("Unexpected end of form").
    parser.on('error', malformed);
    parser.on('close', () => {
      if (seen.size === 0) return malformed();
      finish({ ok: true, form: { fields: { ...fields }, file } });
    });

    req.on('data', count);
    req.on('error', malformed);
    req.on('close', onClosed);
    req.pipe(parser);
  });
}
