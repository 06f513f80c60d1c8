import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** How the provider answers: Twilio's 201, a 500, or not at all until released (a hung or 60-s-slow provider). */
export type ProviderMode = 'ok' | 'fail' | 'hang';

/**
 * A local HTTP server playing an SMS provider (Twilio's Messages API or a webhook): it keeps
 * every request it receives, and answers as `mode` says. `next` waits for a request to arrive.
 */
export async function startSmsProvider() {
  const received: ProviderRequest[] = [];
  const held: ServerResponse[] = [];
  const waiters: Array<(r: ProviderRequest) => void> = [];
  let mode: ProviderMode = 'ok';
  let answered = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(request);
      for (const w of waiters.splice(0)) w(request);
      if (mode === 'hang') return void held.push(res);
      answered++;
      if (mode === 'fail') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":20500,"message":"Internal Server Error"}');
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${'0'.repeat(32)}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address() as AddressInfo;
  return {
    port: port.port,
    url: `http://127.0.0.1:${port.port}/`,
    received,
    get answered() {
      return answered;
    },
    setMode(next: ProviderMode) {
      mode = next;
    },
    next: () => new Promise<ProviderRequest>((resolve) => waiters.push(resolve)),
    /** Answers the held requests (the slow provider finally speaks). */
    release() {
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(201).end('{}');
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SmsProvider = Awaited<ReturnType<typeof startSmsProvider>>;

/** The code in a text's body. */
export function codeFromText(body: string): string {
  const code = /\b([0-9]{6,8})\b/.exec(body)?.[1];
  if (!code) throw new Error('no code in the text');
  return code;
}
