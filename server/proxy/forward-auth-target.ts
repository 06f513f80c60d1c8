import { isIP } from 'node:net';

/**
 * What a proxy (nginx auth_request, Traefik forwardAuth, Caddy forward_auth) asks us to
 * authorize, read from its headers. Values are returned as given, not normalized: the caller
 * runs the policy's host and path normalizers on them. Anything ambiguous is refused here,
 * because a request we cannot read exactly is one we cannot decide on.
 */
export type ForwardAuthTarget =
  | { ok: true; method: string; proto: 'http' | 'https'; host: string; requestTarget: string }
  | { ok: false; reason: ForwardAuthRejection; header: string };

export type ForwardAuthRejection = 'missing' | 'duplicated' | 'malformed' | 'too-long' | 'unsupported-scheme' | 'userinfo';

/**
 * The proxy's headers, best as IncomingMessage.headersDistinct gives them (every value of a
 * repeated header on its own, so a second copy is seen even when it is empty); `headers`, where
 * Node has joined repeats with ", ", works too.
 */
export type ForwardAuthHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The headers each flavour reads: all that readForwardAuthHeaders keeps. */
const FORWARDED_NAMES: ReadonlySet<string> = new Set(['x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri']);
const ORIGINAL_URL_NAMES: ReadonlySet<string> = new Set(['x-original-url', 'x-original-method']);

/**
 * What IncomingMessage.headersDistinct holds for the headers `flavour` reads (every copy of a
 * repeated header on its own, in order, under its lower-case name), read from rawHeaders as
 * Node builds it. Node builds headersDistinct for every header of the request, on top of
 * `headers`, which the caller reads too; forward-auth answers every request of the sites
 * behind a proxy, so only these few are collected here.
 */
export function readForwardAuthHeaders(rawHeaders: readonly string[], flavour: 'forward_auth' | 'auth_request'): Record<string, string[]> {
  const names = flavour === 'forward_auth' ? FORWARDED_NAMES : ORIGINAL_URL_NAMES;
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!names.has(name)) continue;
    const values = out[name];
    if (values === undefined) out[name] = [rawHeaders[i + 1]!];
    else values.push(rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * Longest X-Original-URL or X-Forwarded-Uri we read. nginx refuses request lines over its
 * large_client_header_buffers (8 KiB by default), so a longer target is not a request any proxy
 * in front let through: it is refused, never decided on.
 */
export const MAX_FORWARDED_TARGET_LENGTH = 8 * 1024;

type Field = { ok: true; value: string } | { ok: false; reason: ForwardAuthRejection; header: string };

/** An HTTP method token (RFC 9110 §9.1). */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
/** host[:port]: a DNS-style name (trailing dot allowed, the caller strips it) or an IP literal. */
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]{1,253}))(?::(\d{1,5}))?$/;
/** An origin-form request target: visible ASCII only (no space, control, DEL or non-ASCII), no fragment. */
const ORIGIN_FORM = /^\/[\x21-\x22\x24-\x7e]*$/;
/** Traefik reports WebSocket requests as ws/wss: the same resource as http/https for access. */
const FORWARDED_SCHEMES = new Map<string, 'http' | 'https'>([
  ['http', 'http'],
  ['https', 'https'],
  ['ws', 'http'],
  ['wss', 'https'],
]);
/** scheme://authority then the rest, split without normalizing anything. */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/** Traefik and Caddy: X-Forwarded-Method, -Proto, -Host and -Uri. */
export function targetFromForwardedHeaders(headers: ForwardAuthHeaders): ForwardAuthTarget {
  const method = single(headers, 'x-forwarded-method', false);
  if (!method.ok) return method;
  const proto = single(headers, 'x-forwarded-proto', false);
  if (!proto.ok) return proto;
  const host = single(headers, 'x-forwarded-host', false);
  if (!host.ok) return host;
  const uri = single(headers, 'x-forwarded-uri', true);
  if (!uri.ok) return uri;

  if (!METHOD.test(method.value)) return reject('malformed', 'x-forwarded-method');
  const scheme = FORWARDED_SCHEMES.get(proto.value.toLowerCase());
  if (!scheme) {
    return reject(/^[a-z][a-z0-9+.-]*$/i.test(proto.value) ? 'unsupported-scheme' : 'malformed', 'x-forwarded-proto');
  }
  if (!isHost(host.value)) return reject(host.value.includes('@') ? 'userinfo' : 'malformed', 'x-forwarded-host');
  if (uri.value.length > MAX_FORWARDED_TARGET_LENGTH) return reject('too-long', 'x-forwarded-uri');
  if (!ORIGIN_FORM.test(uri.value)) return reject('malformed', 'x-forwarded-uri');
  return { ok: true, method: method.value.toUpperCase(), proto: scheme, host: host.value, requestTarget: uri.value };
}

/** nginx auth_request: X-Original-URL ($scheme://$http_host$request_uri) and X-Original-Method (default GET). */
export function targetFromOriginalUrl(headers: ForwardAuthHeaders): ForwardAuthTarget {
  const url = single(headers, 'x-original-url', true);
  if (!url.ok) return url;
  if (url.value.length > MAX_FORWARDED_TARGET_LENGTH) return reject('too-long', 'x-original-url');
  let method = 'GET';
  if (headers['x-original-method'] !== undefined) {
    const given = single(headers, 'x-original-method', false);
    if (!given.ok) return given;
    if (!METHOD.test(given.value)) return reject('malformed', 'x-original-method');
    method = given.value.toUpperCase();
  }

  const parts = ABSOLUTE.exec(url.value);
  if (!parts) return reject('malformed', 'x-original-url');
  const [, rawScheme = '', authority = '', rest = ''] = parts;
  const scheme = rawScheme.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return reject('unsupported-scheme', 'x-original-url');
  if (authority.includes('@')) return reject('userinfo', 'x-original-url');
  if (!isHost(authority)) return reject('malformed', 'x-original-url');
  const requestTarget = rest === '' ? '/' : rest;
  if (!ORIGIN_FORM.test(requestTarget)) return reject('malformed', 'x-original-url');
  return { ok: true, method, proto: scheme, host: authority, requestTarget };
}

/**
 * Exactly one value of a header: a header given twice is refused, even when both copies agree
 * or one is empty. For values that cannot contain a comma a comma also means "sent twice" (a
 * proxy, or Node's `headers`, may have joined the copies with ", "). A URI may hold commas,
 * but a join always adds a space, which a well-formed URI never contains and the caller refuses.
 */
function single(headers: ForwardAuthHeaders, name: string, commaAllowed: boolean): Field {
  const given = headers[name];
  if (given === undefined) return reject('missing', name);
  let value: string;
  if (typeof given === 'string') value = given;
  else if (given.length === 1) value = given[0]!;
  else return reject(given.length === 0 ? 'missing' : 'duplicated', name);
  if (/[\r\n\0]/.test(value)) return reject('malformed', name);
  if (!commaAllowed && value.includes(',')) return reject('duplicated', name);
  const trimmed = value.trim();
  if (trimmed === '') return reject('missing', name);
  return { ok: true, value: trimmed };
}

function isHost(value: string): boolean {
  const match = HOST.exec(value);
  if (!match) return false;
  const [, ipv6, name, port] = match;
  if (port !== undefined && (Number(port) > 65535 || Number(port) === 0)) return false;
  if (ipv6 !== undefined) return isIP(ipv6) === 6;
  return name !== undefined && !name.startsWith('.') && !name.includes('..');
}

function reject(reason: ForwardAuthRejection, header: string): { ok: false; reason: ForwardAuthRejection; header: string } {
  return { ok: false, reason, header };
}
