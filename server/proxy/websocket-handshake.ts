import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * WebSocket (RFC 6455) is the only protocol a client may switch to through Gatehouse. Any other
 * Upgrade (h2c above all) would turn the connection into a tunnel in which the client talks to
 * the upstream directly: every request after the switch skips the policy, the identity-header
 * stripping and the path normalization. WebSocket is safe to join because its client frames
 * are masked and framed, so an upstream that really speaks it cannot read them as HTTP.
 */
export type WebSocketRequestCheck = { ok: true; key: string } | { ok: false; status: 400 | 426; reason: WebSocketRefusal };

export type WebSocketRefusal = 'not-websocket' | 'http-version' | 'method' | 'connection' | 'key' | 'version';

/** base64 of 16 bytes: 22 characters, the last carrying 4 bits, and "==". */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Whether an Upgrade request is a well-formed WebSocket opening handshake (RFC 6455 §4.2.1):
 * HTTP/1.1 GET, `Upgrade: websocket` as the only token, `upgrade` in Connection, one
 * Sec-WebSocket-Key of 16 bytes and Sec-WebSocket-Version 13. Node joins repeated headers with
 * ", ", so a second Upgrade or key fails the exact checks. A version we cannot speak is 426
 * (with `Sec-WebSocket-Version: 13`, as the RFC asks); everything else is 400.
 */
export function checkWebSocketRequest(req: Pick<IncomingMessage, 'method' | 'httpVersion' | 'headers'>): WebSocketRequestCheck {
  const { headers } = req;
  const upgrade = headers.upgrade;
  if (typeof upgrade !== 'string' || upgrade.trim().toLowerCase() !== 'websocket') return refuse(400, 'not-websocket');
  if (req.httpVersion !== '1.1') return refuse(400, 'http-version');
  if (req.method !== 'GET') return refuse(400, 'method');
  if (!hasToken(headers.connection, 'upgrade')) return refuse(400, 'connection');
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key)) return refuse(400, 'key');
  const version = headers['sec-websocket-version'];
  if (version === undefined || version.trim() === '') return refuse(400, 'version');
  if (version.trim() !== '13') return refuse(426, 'version');
  return { ok: true, key };
}

/**
 * Whether an upstream's 101 completes the handshake we asked for: it switched to websocket and
 * its Sec-WebSocket-Accept is the one computed from our key. An upstream that answers 101 to
 * anything (a generic tunnel, a mis-set proxy) fails here, and no tunnel is opened to it.
 */
export function isWebSocketAccept(headers: IncomingHttpHeaders, key: string): boolean {
  const upgrade = headers.upgrade;
  const accept = headers['sec-websocket-accept'];
  if (typeof upgrade !== 'string' || upgrade.trim().toLowerCase() !== 'websocket') return false;
  return typeof accept === 'string' && accept.trim() === acceptFor(key);
}

export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const item of Array.isArray(value) ? value : [value]) {
    for (const part of item.split(',')) if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

function refuse(status: 400 | 426, reason: WebSocketRefusal): WebSocketRequestCheck {
  return { ok: false, status, reason };
}
