import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often idle keep-alive connections are closed while draining: they may turn idle any time. */
const SWEEP_INTERVAL_MS = 50;

export interface InFlight {
  /** Starts tracking a server's requests; before it listens. */
  attach(server: Server): void;
  /** Requests being answered now. */
  count(): number;
  /** Marks an answer that never finishes by itself (an event stream): a drain ends it at once. */
  endOnDrain(res: ServerResponse): void;
  /**
   * Lets the requests being answered finish, up to `deadlineMs`: each answer tells its client
   * the connection closes after it, keep-alive connections are closed as soon as they are idle,
   * and event streams are ended at once (their clients reconnect elsewhere). Resolves with how
   * many requests were still unanswered at the deadline. The caller stops the server accepting
   * first, and closes what is left afterwards.
   */
  drain(deadlineMs: number): Promise<number>;
}

/** Tracks the requests a node:http server is answering, so that a shutdown can let them finish. */
export function createInFlight(): InFlight {
  const answering = new Set<ServerResponse>();
  const streams = new WeakSet<ServerResponse>();
  let server: Server | undefined;
  let draining = false;
  let settle: (() => void) | undefined;

  function closeAfter(res: ServerResponse): void {
    if (streams.has(res)) res.end();
    else if (!res.headersSent) res.setHeader('connection', 'close');
  }

  // One listener for every response, not a closure and a once() wrapper per request: this runs
  // on every proxied request. A response emits 'close' once; a second would change nothing.
  function closed(this: ServerResponse): void {
    answering.delete(this);
    if (answering.size === 0) settle?.();
  }

  function track(_req: IncomingMessage, res: ServerResponse): void {
    answering.add(res);
    if (draining) res.setHeader('connection', 'close');
    res.on('close', closed);
  }

  return {
    attach(target) {
      server = target;
      // Prepended: runs before the gateway's own handler, which may answer at once.
      target.prependListener('request', track);
    },
    count: () => answering.size,
    endOnDrain(res) {
      streams.add(res);
      if (draining) res.end();
    },
    async drain(deadlineMs) {
      draining = true;
      for (const res of answering) closeAfter(res);
      const sweep = setInterval(() => server?.closeIdleConnections(), SWEEP_INTERVAL_MS);
      server?.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve) => {
          if (answering.size === 0) return resolve();
          settle = resolve;
          timer = setTimeout(resolve, deadlineMs);
        });
      } finally {
        settle = undefined;
        clearTimeout(timer);
        clearInterval(sweep);
      }
      return answering.size;
    },
  };
}
