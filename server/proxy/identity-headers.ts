import type { IncomingHttpHeaders } from 'node:http';
import type { SessionUser } from '../session/session.js';
import { HOP_BY_HOP, connectionListed } from './hop-by-hop.js';
import { UNTRUSTED_REQUEST_HEADERS } from './untrusted-request-headers.js';

/** The headers that tell an upstream who is signed in (the names Authelia and its users use). */
export const IDENTITY_HEADERS = ['remote-user', 'remote-groups', 'remote-name', 'remote-email'] as const;
const IDENTITY = new Set<string>(IDENTITY_HEADERS);

/**
 * Headers we write ourselves, whoever the peer is; a client's or proxy's copy never passes, in
 * any spelling. Forwarded (RFC 7239) is dropped rather than extended: an application that
 * prefers it would otherwise read a chain that stops before us.
 */
const OURS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'x-request-id', 'forwarded'];

/**
 * Every header whose client copy never reaches an upstream, by canonical name: ours, other
 * gateways' identity headers, the URL-rewrite / method-override headers and other proxies'
 * client-address headers (see
 * untrusted-request-headers.ts), whoever the peer is. One Set lookup per request header.
 */
const NEVER_PASSED: ReadonlySet<string> = new Set<string>([...IDENTITY_HEADERS, ...OURS, ...UNTRUSTED_REQUEST_HEADERS]);

/**
 * How an application behind us may see a header name: case-insensitively, and with `_` and `-`
 * as one (CGI, WSGI, Rack and PHP all turn `Remote-User` and `Remote_User` into HTTP_REMOTE_USER).
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

export function isIdentityHeader(name: string): boolean {
  return IDENTITY.has(canonicalHeaderName(name));
}

/**
 * The identity headers for a signed-in user. Groups are comma-separated, so a group whose name
 * holds a comma is left out rather than let it read as two groups upstream.
 */
export function buildIdentityHeaders(user: SessionUser): Record<string, string> {
  return identityHeaders(user, headerValue);
}

/**
 * buildIdentityHeaders for the hot path: values that are not plain ASCII (display names in
 * most scripts) are encoded once per instance, not on every request. headerValue is a pure
 * function of its input, so remembering its answers changes nothing but the time.
 */
export function createIdentityHeaderBuilder(options: { maxRemembered?: number } = {}): (user: SessionUser) => Record<string, string> {
  const max = options.maxRemembered ?? 1024;
  const encoded = new Map<string, string>();
  const value = (text: string): string => {
    if (isPlainAscii(text)) return text;
    let out = encoded.get(text);
    if (out === undefined) {
      out = headerValue(text);
      // A full table starts over: the names of the users active now come back at once.
      if (encoded.size >= max) encoded.clear();
      encoded.set(text, out);
    }
    return out;
  };
  return (user) => identityHeaders(user, value);
}

function identityHeaders(user: SessionUser, value: (text: string) => string): Record<string, string> {
  const groups = user.groups.map(value).filter((group) => group !== '' && !group.includes(','));
  return {
    'remote-user': value(user.username),
    'remote-groups': groups.join(','),
    'remote-name': value(user.displayName),
    'remote-email': value(user.email),
  };
}

/**
 * A header value that cannot split or end the header: control characters (CR, LF, NUL, C1…)
 * are removed. Non-ASCII text is sent as its UTF-8 bytes, held one byte per char in a latin1
 * string because Node and undici write header strings as latin1. That is what nginx passes
 * through from Authelia and what applications decode (as UTF-8), so "张伟" or "Zoë" arrive intact;
 * Latin-1 characters are encoded the same way so that one decoding works for every value.
 */
export function headerValue(text: string): string {
  if (isPlainAscii(text)) return text;
  const clean = text.replace(/\p{Cc}/gu, '').trim();
  return /[^\x20-\x7e]/.test(clean) ? Buffer.from(clean, 'utf8').toString('latin1') : clean;
}

/**
 * Printable ASCII without a leading or trailing space: the value as it is, and what almost
 * every user name, group and e-mail address is. Checked on every proxied request, so no regex.
 */
function isPlainAscii(text: string): boolean {
  const last = text.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c < 0x20 || (c === 0x20 && (i === 0 || i === last))) return false;
  }
  return true;
}

export interface UpstreamHeaderOptions {
  /** Our session cookie: never handed to an upstream. */
  cookieName: string;
  /** The Host header to send (the browser's, or the upstream's own). */
  host: string;
  /** The socket's address, normalized (see normalizePeerAddress). */
  peer: string;
  clientIp: string;
  viaTrustedProxy: boolean;
  proto: 'http' | 'https';
  forwardedHost: string;
  forwardedPort: string;
  requestId: string;
  identity?: Record<string, string>;
  /**
   * More header names (canonical: see canonicalHeaderName) never passed from a client: the
   * signed identity JWT's, and the site owner's server.strip_headers.
   */
  stripped?: ReadonlySet<string>;
}

/**
 * The headers an upstream receives: the client's, minus hop-by-hop headers, every spelling of
 * the identity headers, of other gateways' identity headers, of the URL-rewrite headers and of
 * the configured ones, our session cookie and (from untrusted peers) forwarding headers; plus
 * our forwarding headers and the real identity.
 *
 * X-Forwarded-For carries only what we vouch for: the client we resolved and the peer that
 * handed it to us. Hops the client wrote itself never reach the upstream, so an application
 * that believes the leftmost entry still gets the real client.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, options: UpstreamHeaderOptions): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connection: string[] = [];
  const cookies: string[] = [];
  for (const [rawName, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name === 'connection') connection.push(...asList(value));
    if (HOP_BY_HOP.has(name) || name === 'host' || name === 'expect') continue;
    const canonical = canonicalHeaderName(name);
    if (NEVER_PASSED.has(canonical) || options.stripped?.has(canonical)) continue;
    // Behind a trusted proxy its other X-Forwarded-* pass, but only in the spelling it writes
    // and never one of the names above (X-Forwarded-User, -Uri, -Prefix…).
    if (canonical.startsWith('x-forwarded-') && (!options.viaTrustedProxy || name !== canonical)) continue;
    if (name === 'cookie') cookies.push(...asList(value));
    else append(out, name, value);
  }
  const listed = connectionListed(connection);
  for (const name of listed) delete out[name];

  const cookie = listed.has('cookie') ? undefined : withoutCookie(cookies, options.cookieName);
  if (cookie !== undefined) out.cookie = cookie;
  out.host = options.host;
  if (options.peer !== '') {
    const trustedClient = options.viaTrustedProxy && options.clientIp !== '' && options.clientIp !== options.peer;
    out['x-forwarded-for'] = trustedClient ? `${options.clientIp}, ${options.peer}` : options.peer;
  }
  if (options.clientIp !== '') out['x-real-ip'] = options.clientIp;
  out['x-forwarded-proto'] = options.proto;
  out['x-forwarded-host'] = options.forwardedHost;
  out['x-forwarded-port'] = options.forwardedPort;
  out['x-request-id'] = options.requestId;
  if (options.identity) Object.assign(out, options.identity);
  return out;
}

/**
 * The Cookie header without our cookie (in every Cookie header given), other pairs byte for
 * byte as sent; undefined when nothing is left.
 */
export function withoutCookie(values: readonly string[], cookieName: string): string | undefined {
  if (!values.some((value) => value.includes(cookieName))) return values.length > 0 ? values.join('; ') : undefined;
  const kept: string[] = [];
  for (const value of values) {
    for (const part of value.split(';')) {
      const pair = part.trim();
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      if (equals === -1 || pair.slice(0, equals).trim() !== cookieName) kept.push(pair);
    }
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function asList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

function append(out: Record<string, string | string[]>, name: string, value: string | string[]): void {
  const existing = out[name];
  if (existing === undefined) out[name] = Array.isArray(value) ? [...value] : value;
  else out[name] = [...asList(existing), ...asList(value)];
}
