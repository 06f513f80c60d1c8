import type { IncomingHttpHeaders } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type ContentCoding = 'br' | 'gzip';

/** Entries of Accept-Encoding looked at; a longer header is a client's mistake or an attack. */
const MAX_ENTRIES = 16;
const ENTRY = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The coding to send, from the request's Accept-Encoding (RFC 9110 §12.5.3) and the codings
 * `available`: the one with the highest weight, brotli on a tie; none (identity) when the
 * header is absent, names neither, weighs them 0 or cannot be read. A malformed entry counts as
 * not acceptable: identity is always a correct answer.
 */
export function chooseEncoding(header: IncomingHttpHeaders['accept-encoding'], available: readonly ContentCoding[]): ContentCoding | undefined {
  if (typeof header !== 'string' || header.length === 0) return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',').slice(0, MAX_ENTRIES)) {
    const match = ENTRY.exec(part.trim());
    if (!match) continue;
    const q = match[2] === undefined ? 1 : QVALUE.test(match[2]) ? Number(match[2]) : 0;
    const name = match[1]!.toLowerCase();
    if (!weights.has(name)) weights.set(name, q);
  }
  let best: ContentCoding | undefined;
  let bestWeight = 0;
  for (const coding of ['br', 'gzip'] as const) {
    if (!available.includes(coding)) continue;
    const weight = weights.get(coding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/** Pages smaller than this go out as they are: the coding would cost more than it saves. */
const MIN_PAGE_BYTES = 512;

/**
 * A page rendered for this request, compressed on the fly when the browser accepts it. Brotli at
 * quality 5: within a few percent of the best for a page of a few kilobytes, at a fraction of
 * the CPU (a sign-in storm renders many of them).
 */
export function encodePage(body: string, acceptEncoding: IncomingHttpHeaders['accept-encoding']): { body: Buffer; coding?: ContentCoding } {
  const raw = Buffer.from(body);
  if (raw.length < MIN_PAGE_BYTES) return { body: raw };
  const coding = chooseEncoding(acceptEncoding, ['br', 'gzip']);
  if (coding === 'br') {
    const params = { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length };
    return { body: brotliCompressSync(raw, { params }), coding };
  }
  if (coding === 'gzip') return { body: gzipSync(raw, { level: 6 }), coding };
  return { body: raw };
}
