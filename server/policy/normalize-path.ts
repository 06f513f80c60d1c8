/**
 * Turns a raw request-target into the one path we both match rules against and forward
 * upstream, so that a rule and the upstream can never disagree about which resource a request
 * names. Anything that could be read two ways (encoded slashes, `..;`, dots above the root)
 * is refused rather than guessed at.
 */
export type PathRefusal =
  | 'too-long'
  | 'not-origin-form'
  | 'fragment'
  | 'invalid-character'
  | 'bad-escape'
  | 'encoded-separator'
  | 'encoded-control'
  | 'above-root'
  | 'ambiguous-segment';

export type NormalizePathResult = { ok: true; path: string; matchPath: string; query: string } | { ok: false; reason: PathRefusal };

/** Node refuses request heads over 16 KiB by default, so nothing legitimate is longer. */
export const MAX_TARGET_LENGTH = 16 * 1024;

export function normalizePath(requestTarget: string): NormalizePathResult {
  if (requestTarget.length > MAX_TARGET_LENGTH) return refuse('too-long');
  // Absolute-form (`http://…`) and `*` targets are the proxy's business, not a path.
  if (requestTarget.charCodeAt(0) !== 0x2f) return refuse('not-origin-form');
  if (requestTarget.includes('#')) return refuse('fragment');

  const q = requestTarget.indexOf('?');
  const rawPath = q === -1 ? requestTarget : requestTarget.slice(0, q);
  const query = q === -1 ? '' : requestTarget.slice(q + 1);
  // The query is forwarded verbatim; only bytes that cannot be in any request-target are refused.
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return refuse('invalid-character');
  }

  if (isPlain(rawPath)) return { ok: true, path: rawPath, matchPath: rawPath, query };

  const raw = rawPath.slice(1).split('/');
  const segments: string[] = [];
  let trailing = false;
  let hasParams = false;
  let hasBareParams = false;
  for (let i = 0; i < raw.length; i++) {
    const last = i === raw.length - 1;
    const rawSegment = raw[i]!;
    // Runs of "/" merge: an empty segment is dropped, but one at the end is the trailing slash.
    if (rawSegment === '') {
      if (last) trailing = true;
      continue;
    }
    const segment = canonicalizeSegment(rawSegment);
    if (typeof segment !== 'string') return segment;
    if (segment === '.' || segment === '..') {
      // After a params-only segment ("/;x/"), ".." pops that segment for nginx but the real
      // parent for Java servers, which drop "/;x" first: two readings, so neither is given.
      if (hasBareParams) return refuse('ambiguous-segment');
      if (segment === '..' && segments.pop() === undefined) return refuse('above-root');
      // RFC 3986 5.2.4: "/a/b/.." is "/a/", the dot segment leaves its slash behind.
      if (last) trailing = true;
      continue;
    }
    if (isAmbiguous(segment)) return refuse('ambiguous-segment');
    if (segment.includes(';')) hasParams = true;
    if (segment.charCodeAt(0) === 0x3b) hasBareParams = true;
    segments.push(segment);
  }

  const path = joinSegments(segments, trailing);
  return { ok: true, path, matchPath: hasParams ? stripParams(segments, trailing) : path, query };
}

/**
 * The common case, decided in one scan without allocating: printable ASCII, no escapes, no
 * params, no "//" and no segment starting with "." (which might be a dot segment).
 */
function isPlain(rawPath: string): boolean {
  let previous = 0;
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c || c === 0x25 || c === 0x3b) return false;
    if (previous === 0x2f && (c === 0x2f || c === 0x2e)) return false;
    previous = c;
  }
  return true;
}

function refuse(reason: PathRefusal): { ok: false; reason: PathRefusal } {
  return { ok: false, reason };
}

function joinSegments(segments: readonly string[], trailing: boolean): string {
  if (segments.length === 0) return '/';
  return '/' + segments.join('/') + (trailing ? '/' : '');
}

/**
 * Tomcat and Jetty drop `;params` from every segment before they route, so rules see the path
 * the way they do. A segment that is only params (`/;jsessionid=1/x`) vanishes there, like a
 * doubled slash, so it vanishes here too.
 */
function stripParams(segments: readonly string[], trailing: boolean): string {
  const names: string[] = [];
  for (const segment of segments) {
    const semi = segment.indexOf(';');
    const name = semi === -1 ? segment : segment.slice(0, semi);
    if (name !== '') names.push(name);
  }
  const lastSegment = segments[segments.length - 1];
  const endsBare = lastSegment !== undefined && lastSegment.charCodeAt(0) === 0x3b;
  return joinSegments(names, trailing || endsBare);
}

/**
 * `..;x` is `..` to a Java server and a plain name to everyone else; `..%3B` is the same once
 * a server decodes before splitting params. Either reading is dangerous, so neither is given.
 */
function isAmbiguous(segment: string): boolean {
  const semi = segment.indexOf(';');
  if (semi !== -1 && isDots(segment.slice(0, semi))) return true;
  const encoded = segment.indexOf('%3B');
  return encoded !== -1 && isDots(segment.slice(0, encoded));
}

function isDots(name: string): boolean {
  return name === '.' || name === '..';
}

const HEX = '0123456789ABCDEF';

/**
 * Checks one segment's characters and rewrites its escapes to one canonical spelling:
 * unreserved characters decoded (`%2e` is `.`, RFC 3986 6.2.2.2), all other escapes upper-case.
 * Returns the segment unchanged (no allocation) when it has no escapes.
 */
function canonicalizeSegment(segment: string): string | { ok: false; reason: PathRefusal } {
  let out: string | undefined;
  let copied = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c) return refuse('invalid-character');
    if (c !== 0x25) continue;
    const hi = hexValue(segment.charCodeAt(i + 1));
    const lo = hexValue(segment.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return refuse('bad-escape');
    const byte = hi * 16 + lo;
    if (byte < 0x20 || byte === 0x7f) return refuse('encoded-control');
    if (byte === 0x2f || byte === 0x5c) return refuse('encoded-separator');
    const replacement = isUnreserved(byte) ? String.fromCharCode(byte) : '%' + HEX[hi]! + HEX[lo]!;
    if (replacement !== segment.slice(i, i + 3)) {
      out = (out ?? '') + segment.slice(copied, i) + replacement;
      copied = i + 3;
    }
    i += 2;
  }
  return out === undefined ? segment : out + segment.slice(copied);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}
