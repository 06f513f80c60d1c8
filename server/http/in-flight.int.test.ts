import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createInFlight, type InFlight } from './in-flight.js';

/**
 * The drain behind SIGTERM, on a bare node:http server: what is being answered finishes, what
 * would keep a connection open after it does not.
 */
const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function start(handler: (req: IncomingMessage, res: ServerResponse, inFlight: InFlight) => void) {
  const inFlight = createInFlight();
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => handler(req, res, inFlight));
  servers.push(server);
  inFlight.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, inFlight, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('trackInFlight: drain', () => {
  it('a request in flight finishes, told the connection closes; the drain resolves with 0 cut', async () => {
    const release: Array<() => void> = [];
    const { server, inFlight, port } = await start((_req, res) => release.push(() => res.end('done')));
    const answer = get(port, '/slow');
    while (inFlight.count() === 0) await tick();

    server.close();
    const drained = inFlight.drain(30_000);
    await tick();
    release.shift()!();
    expect(await answer).toEqual({ status: 200, body: 'done', connection: 'close' });
    expect(await drained).toBe(0);
  });

  it('keep-alive connections, idle or turning idle, are closed so the server can stop', async () => {
    const release: Array<() => void> = [];
    const { server, inFlight, port } = await start((req, res) => (req.url === '/slow' ? release.push(() => res.end('slow')) : res.end('fast')));
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    await Promise.all([get(port, '/a', agent), get(port, '/b', agent)]);
    const slow = get(port, '/slow', agent);
    while (inFlight.count() === 0) await tick();

    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const drained = inFlight.drain(30_000);
    release.shift()!();
    expect((await slow).body).toBe('slow');
    expect(await drained).toBe(0);
    // Every connection ends without closeAllConnections: the server stops by itself.
    await stopped;
    agent.destroy();
  });

  it('an event stream is ended at once instead of holding the drain to its deadline', async () => {
    const { server, inFlight, port } = await start((_req, res, tracker) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: time\ndata: 1\n\n');
      tracker.endOnDrain(res);
    });
    const stream = get(port, '/events');
    while (inFlight.count() === 0) await tick();
    await tick();
    server.close();
    expect(await inFlight.drain(60_000)).toBe(0);
    expect((await stream).body).toBe('event: time\ndata: 1\n\n');
  });

  it('at the deadline, requests still unanswered are counted as cut', async () => {
    const { server, inFlight, port } = await start(() => undefined);
    void get(port, '/never').catch(() => undefined);
    void get(port, '/never-either').catch(() => undefined);
    while (inFlight.count() < 2) await tick();
    server.close();
    expect(await inFlight.drain(100)).toBe(2);
  });
});
