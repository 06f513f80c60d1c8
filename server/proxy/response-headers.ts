import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, connectionListed } from './hop-by-hop.js';

/**
 * The upstream's response headers as the client gets them: no hop-by-hop headers, and no
 * Set-Cookie for our session cookie. An application behind us must not be able to plant or
 * clear the gateway session (session fixation from a compromised upstream on a shared domain).
 * For a 101 the Upgrade header is the point of the response, so it stays.
 */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders, cookieName: string, upgrade = false): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !(upgrade && name === 'upgrade')) continue;
    if (name === 'set-cookie') {
      const kept = (Array.isArray(value) ? value : [value]).filter((cookie) => setCookieName(cookie) !== cookieName);
      if (kept.length > 0) out[name] = kept;
    } else {
      out[name] = value;
    }
  }
  if (upgrade) out.connection = 'Upgrade';
  return out;
}

function setCookieName(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0] ?? '';
  const equals = pair.indexOf('=');
  return equals === -1 ? '' : pair.slice(0, equals).trim();
}

/** A status line and header block for writing to a raw socket (upgrade responses). */
export function formatResponseHead(statusCode: number, statusText: string, headers: OutgoingHttpHeaders): string {
  let head = `HTTP/1.1 ${statusCode} ${statusText}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) head += `${name}: ${item}\r\n`;
  }
  return head + '\r\n';
}
