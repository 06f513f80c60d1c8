import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../core/logger.js';
import { classifyUpstreamError, errorCode, type ProxyContext, type UpstreamFailure } from './proxy-context.js';
import { endUpgradeSocket, refuseUpgrade } from './refuse-upgrade.js';
import { downstreamResponseHeaders, formatResponseHead } from './response-headers.js';
import { isWebSocketAccept } from './websocket-handshake.js';

/**
 * One WebSocket upgrade: on a 101 that completes the handshake (Sec-WebSocket-Accept computed
 * from the client's key) the client gets the upstream's answer and the two sockets are joined;
 * a 101 that does not is refused with 502 and no tunnel. Any other answer is relayed as a plain
 * response and the connection closed, so an upstream's 401/403/426 reaches the client as sent.
 */
export class UpgradeHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private clientGone = false;
  private upgraded = false;
  private wrote = false;
  private finished = false;

  constructor(
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly ctx: ProxyContext,
    private readonly deps: { logger: Logger; cookieName: string; tunnels: Set<Duplex>; webSocketKey: string },
  ) {
    socket.on('error', this.onClientGone);
    socket.on('close', this.onClientGone);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error('client closed the connection'));
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, upstream: Duplex): void {
    this.upgraded = true;
    if (this.clientGone || this.socket.destroyed) {
      upstream.destroy();
      return;
    }
    if (statusCode !== 101 || !isWebSocketAccept(headers, this.deps.webSocketKey)) {
      // Not a WebSocket server: whatever it would read from a tunnel, the client must not write it.
      upstream.destroy();
      this.fail(new Error(`upstream answered the WebSocket upgrade with ${statusCode} ${String(headers.upgrade)} and no valid Sec-WebSocket-Accept`), 'unavailable');
      return;
    }
    const responseHeaders = downstreamResponseHeaders(headers, this.deps.cookieName, true);
    this.socket.write(formatResponseHead(statusCode, STATUS_CODES[statusCode] ?? 'Switching Protocols', responseHeaders), 'latin1');
    this.wrote = true;
    if (this.head.length > 0) upstream.write(this.head);
    joinSockets(this.socket, upstream, this.deps.tunnels);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    // No Content-Length or chunking is promised: the body runs until we close the connection.
    const responseHeaders = { ...downstreamResponseHeaders(headers, this.deps.cookieName), connection: 'close' };
    this.socket.write(formatResponseHead(statusCode, STATUS_CODES[statusCode] ?? 'Unknown', responseHeaders), 'latin1');
    this.wrote = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.socket.write(chunk)) return;
    controller.pause();
    this.socket.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.finished = true;
    endUpgradeSocket(this.socket);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.upgraded || this.clientGone || this.finished) return;
    if (this.wrote) {
      this.socket.destroy();
      return;
    }
    this.fail(error, classifyUpstreamError(error));
  }

  /** Nothing reached the client yet: the error page, or a bare status, and the connection closed. */
  private fail(error: Error, kind: UpstreamFailure): void {
    this.deps.logger.warn({ site: this.ctx.site.name, requestId: this.ctx.requestId, code: errorCode(error), outcome: kind, detail: error.message }, 'upstream upgrade failed');
    try {
      this.ctx.onError(kind);
    } catch (renderError) {
      this.deps.logger.error({ err: renderError, requestId: this.ctx.requestId }, 'rendering the upstream error failed');
    }
    if (!this.socket.writableEnded && !this.socket.destroyed) refuseUpgrade(this.socket, kind === 'timeout' ? 504 : 502);
  }

  /** Stays subscribed for the socket's life: Node drops its own 'error' listener on upgrade. */
  private readonly onClientGone = (): void => {
    if (this.upgraded || this.finished || this.clientGone) return;
    this.clientGone = true;
    this.controller?.abort(new Error('client closed the connection'));
  };
}

/** Pipes both ways; when either side errors or closes, both are closed. */
function joinSockets(client: Duplex, upstream: Duplex, tunnels: Set<Duplex>): void {
  tunnels.add(client);
  const close = (): void => {
    tunnels.delete(client);
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.on('error', close);
    socket.on('close', close);
    (socket as Partial<Socket>).setNoDelay?.(true);
  }
  upstream.pipe(client);
  client.pipe(upstream);
}
