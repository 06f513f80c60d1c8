import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a client that keeps sending after our last answer may keep its connection. */
const LINGER_MS = 5_000;

/**
 * Answers an Upgrade request that will not be tunnelled and closes the connection: its socket
 * is no longer Node's to parse, so nothing after this answer may be read as another request.
 * A 426 names the WebSocket version we speak (RFC 6455 §4.4).
 */
export function refuseUpgrade(socket: Duplex, status: number): void {
  const version = status === 426 ? 'Sec-WebSocket-Version: 13\r\n' : '';
  endUpgradeSocket(socket, `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n${version}Content-Length: 0\r\n\r\n`);
}

/**
 * Ends a client's upgrade socket after `last` (if any). Whatever the client still sends (a body,
 * requests meant for a tunnel) is read and dropped, as nginx's lingering close does: left
 * unread, it would keep the half-closed socket open for good, and closing at once could reset
 * the connection before the client has read our answer. A client that keeps sending is cut
 * off after a few seconds.
 */
export function endUpgradeSocket(socket: Duplex, last?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.resume();
  (socket as Partial<Socket>).setTimeout?.(LINGER_MS, () => socket.destroy());
  if (last === undefined) socket.end();
  else socket.end(last, 'latin1');
}
