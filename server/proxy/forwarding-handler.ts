import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from '../core/logger.js';
import { classifyUpstreamError, errorCode, isConnectionReset, type ProxyContext } from './proxy-context.js';
import { downstreamResponseHeaders } from './response-headers.js';

class ClientClosedError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientClosedError';
  }
}

/**
 * Streams one upstream response into the client's ServerResponse: undici's data goes straight
 * to res.write, and a full socket buffer pauses the upstream until 'drain' (backpressure both
 * ways, nothing held in memory). A client that leaves aborts the upstream request.
 */
export class ForwardingHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private clientGone = false;
  private responded = false;
  private settled = false;
  private retries: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly ctx: ProxyContext,
    private readonly deps: {
      logger: Logger;
      cookieName: string;
      /** Sends the request (again); retries is how many resends a dropped connection may cost. */
      dispatch: (handler: ForwardingHandler) => void;
      retries: number;
      done: () => void;
    },
  ) {
    this.retries = deps.retries;
    res.on('drain', this.onDrain);
    res.on('close', this.onClose);
  }

  start(): void {
    this.deps.dispatch(this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 100 Continue and 103 Early Hints: the final response follows on the same request.
    if (statusCode < 200) return;
    try {
      this.res.writeHead(statusCode, downstreamResponseHeaders(headers, this.deps.cookieName));
    } catch (error) {
      controller.abort(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.responded = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (Object.keys(trailers).length > 0) {
      try {
        this.res.addTrailers(downstreamResponseHeaders(trailers, this.deps.cookieName) as Record<string, string>);
      } catch {
        // Trailers the client cannot be sent are dropped; the body is complete without them.
      }
    }
    this.res.end();
    this.settle();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.isClientGone()) return this.settle();
    if (!this.responded && !this.res.headersSent) {
      if (this.retries > 0 && isConnectionReset(error)) {
        this.retries -= 1;
        this.controller = undefined;
        this.deps.dispatch(this);
        return;
      }
      const kind = classifyUpstreamError(error);
      this.log(error, kind);
      try {
        this.ctx.onError(kind);
      } catch (renderError) {
        this.deps.logger.error({ err: renderError, requestId: this.ctx.requestId }, 'rendering the upstream error failed');
        this.res.destroy();
      }
    } else {
      // Half a response cannot be turned into an error page: cut the connection so the
      // client sees a truncated response instead of mistaking it for a complete one.
      this.log(error, 'aborted');
      this.res.destroy();
    }
    this.settle();
  }

  private readonly onDrain = (): void => {
    this.controller?.resume();
  };

  private readonly onClose = (): void => {
    if (this.res.writableFinished || this.settled) return;
    this.clientGone = true;
    this.controller?.abort(new ClientClosedError());
  };

  private isClientGone(): boolean {
    return this.clientGone || this.res.destroyed || this.res.socket?.destroyed === true;
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.res.off('drain', this.onDrain);
    this.deps.done();
  }

  private log(error: Error, outcome: string): void {
    this.deps.logger.warn({ site: this.ctx.site.name, requestId: this.ctx.requestId, code: errorCode(error), outcome, detail: error.message }, 'upstream request failed');
  }
}
