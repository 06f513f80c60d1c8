import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/schema.js';
import { createSilentLogger } from '../core/logger.js';
import { buildIdentityHeaders } from './identity-headers.js';
import { createReverseProxy, type ProxyContext, type ReverseProxy, type UpstreamFailure } from './reverse-proxy.js';

/**
 * The proxy between a real gateway server and a real upstream, both on 127.0.0.1. The gateway
 * here does what the real one does once the policy has allowed a request: build the context
 * and call web() or upgrade().
 */

type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;
type Seen = { method: string; url: string; rawHeaders: string[]; headers: http.IncomingHttpHeaders };

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MB = 1024 * 1024;

let upstream: http.Server;
let upstreamPort: number;
let gateway: http.Server;
let gatewayPort: number;
let proxy: ReverseProxy;
let upstreamConnections = 0;
const seen: Seen[] = [];
const upstreamSockets: net.Socket[] = [];
const routes = new Map<string, UpstreamHandler>();
const state: { identity: Record<string, string> | undefined; errors: UpstreamFailure[]; completed: number } = {
  identity: undefined,
  errors: [],
  completed: 0,
};
const sites = new Map<string, SiteConfig>();

function site(name: string, url: string, upstreamUrl: string, extra: Partial<SiteConfig> = {}): SiteConfig {
  return { name, url: new URL(url), upstream: new URL(upstreamUrl), preserve_host: true, timeout: 30, case_insensitive_paths: true, ...extra };
}

async function listen(server: http.Server | net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function contextFor(req: IncomingMessage, render: (kind: UpstreamFailure) => void): ProxyContext {
  const host = (req.headers.host ?? '').split(':')[0] ?? '';
  const target = sites.get(host);
  if (!target) throw new Error(`no test site for ${host}`);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    site: target,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    clientIp: '127.0.0.1',
    viaTrustedProxy: false,
    proto: 'https',
    requestId: 'rid-42',
    ...(state.identity ? { identity: state.identity } : {}),
    onError(kind) {
      state.errors.push(kind);
      render(kind);
    },
  };
}

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = [...routes.entries()].find(([prefix]) => path.startsWith(prefix))?.[1];
    if (handler) return handler(req, res);
    req.resume();
    res.end(JSON.stringify({ url: req.url }));
  });
  upstream.on('connection', () => upstreamConnections++);
  upstream.on('upgrade', onUpstreamUpgrade);
  upstreamPort = await listen(upstream);
  const base = `http://127.0.0.1:${upstreamPort}`;
  const down = `http://127.0.0.1:${await closedPort()}/`;
  for (const s of [
    site('main', 'https://app.localhost:8443/', `${base}/`),
    site('prefixed', 'https://pre.localhost/app/', `${base}/base/`),
    site('rewritten', 'https://own.localhost/', `${base}/`, { preserve_host: false }),
    site('slow', 'https://slow.localhost/', `${base}/`, { timeout: 0.3 }),
    site('down', 'https://down.localhost/', down),
  ]) {
    sites.set(s.url.hostname, s);
  }

  proxy = createReverseProxy({ logger: createSilentLogger() }, { sites: [...sites.values()], cookieName: 'gatehouse_session' });
  gateway = http.createServer((req, res) => {
    const ctx = contextFor(req, (kind) => {
      if (res.headersSent) return;
      res.writeHead(kind === 'timeout' ? 504 : 502, { 'content-type': 'text/plain' });
      res.end(`upstream ${kind}`);
    });
    proxy.web(req, res, ctx).then(
      () => state.completed++,
      (error: unknown) => {
        res.destroy();
        throw error;
      },
    );
  });
  gateway.on('upgrade', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
    proxy.upgrade(
      req,
      socket,
      head,
      contextFor(req, () => {}),
    );
  });
  gatewayPort = await listen(gateway);
});

afterAll(async () => {
  await proxy.close();
  gateway.closeAllConnections();
  upstream.closeAllConnections();
  await Promise.all([new Promise((r) => gateway.close(r)), new Promise((r) => upstream.close(r))]);
});

beforeEach(() => {
  seen.length = 0;
  upstreamSockets.length = 0;
  routes.clear();
  state.identity = undefined;
  state.errors = [];
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
}

function send(options: { host?: string; path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: gatewayPort,
        agent: false,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: options.host ?? 'app.localhost:8443', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A raw request, for header spellings and repetitions Node's client would not send. */
async function sendRaw(head: string): Promise<string> {
  const socket = net.connect(gatewayPort, '127.0.0.1');
  // No half-close: Node's server takes a client's FIN as leaving and aborts the request.
  socket.write(head);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

function upstreamSaw(): Seen {
  expect(seen).toHaveLength(1);
  return seen[0]!;
}

describe('forwarding', () => {
  it('passes method, path and query, and sets the forwarding headers', async () => {
    const reply = await send({ path: '/some/path?x=1&y=%20', headers: { 'x-app': 'kept' } });
    expect(reply.status).toBe(200);
    const req = upstreamSaw();
    expect(req.url).toBe('/some/path?x=1&y=%20');
    expect(req.headers).toMatchObject({
      host: 'app.localhost:8443',
      'x-app': 'kept',
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.localhost:8443',
      'x-forwarded-port': '8443',
      'x-request-id': 'rid-42',
    });
  });

  it('replaces forwarding headers sent by an untrusted client', async () => {
    await send({
      headers: {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
        'x-forwarded-prefix': '/x',
        'x-real-ip': '6.6.6.6',
        'x-request-id': 'forged',
      },
    });
    const { headers } = upstreamSaw();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-host']).toBe('app.localhost:8443');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-real-ip']).toBe('127.0.0.1');
    expect(headers['x-request-id']).toBe('rid-42');
    expect(headers).not.toHaveProperty('x-forwarded-prefix');
  });

  it('sends the upstream its own Host when preserve_host is off', async () => {
    await send({ host: 'own.localhost' });
    expect(upstreamSaw().headers.host).toBe(`127.0.0.1:${upstreamPort}`);
  });

  it.each([
    ['/app/', '/base/'],
    ['/app/x/y?q=1', '/base/x/y?q=1'],
    ['/app', '/base/'],
    ['/app/%2e%2e/admin', '/base/%2e%2e/admin'],
  ])('maps %s below the site prefix to %s upstream', async (path, expected) => {
    await send({ host: 'pre.localhost', path });
    expect(upstreamSaw().url).toBe(expected);
  });

  it('passes status, every Set-Cookie and trailers, and drops hop-by-hop response headers', async () => {
    routes.set('/cookies', (_req, res) => {
      res.writeHead(201, {
        'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly', 'gatehouse_session=planted; Path=/', 'c=3'],
        connection: 'keep-alive, x-hop',
        'x-hop': 'secret',
        trailer: 'x-checksum',
        'content-type': 'text/plain',
      });
      res.write('hello ');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end('world');
    });
    const reply = await send({ path: '/cookies' });
    expect(reply.status).toBe(201);
    expect(reply.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
    expect(reply.headers).not.toHaveProperty('x-hop');
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.body.toString()).toBe('hello world');
    expect(reply.trailers).toEqual({ 'x-checksum': 'abc' });
  });

  it('answers HEAD with the upstream headers and no body', async () => {
    routes.set('/head', (_req, res) => res.writeHead(200, { 'content-length': '1234', 'x-a': '1' }).end());
    const reply = await send({ method: 'HEAD', path: '/head' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe('1234');
    expect(reply.body.length).toBe(0);
  });
});

describe('identity and cookies', () => {
  const spoof =
    'Remote-User: mallory\r\nremote_user: mallory\r\nREMOTE-USER: mallory\r\nRemote_User: mallory\r\nremote-user: root\r\n' +
    'Remote-Groups: admins\r\nREMOTE_GROUPS: admins\r\nRemote-Name: M\r\nremote_email: m@evil.example\r\nRemote-Email: m@evil.example\r\n';

  function identityHeaders(raw: string[]): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) if (/^remote[-_]/i.test(raw[i]!)) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
    return out.sort();
  }

  it('never lets spoofed identity headers reach the upstream of an anonymous request', async () => {
    const response = await sendRaw(`GET /who HTTP/1.1\r\nHost: app.localhost:8443\r\n${spoof}Connection: close\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(identityHeaders(upstreamSaw().rawHeaders)).toEqual([]);
  });

  it('replaces them with the real identity, names in UTF-8 included', async () => {
    state.identity = buildIdentityHeaders({ username: 'alice', displayName: '张伟 Zoë', email: 'alice@example.com', groups: ['dev', 'ops'] });
    await sendRaw(`GET /who HTTP/1.1\r\nHost: app.localhost:8443\r\n${spoof}Connection: close\r\n\r\n`);
    const seenIdentity = identityHeaders(upstreamSaw().rawHeaders);
    expect(seenIdentity.map(([name]) => name)).toEqual(['remote-email', 'remote-groups', 'remote-name', 'remote-user']);
    const values = Object.fromEntries(seenIdentity.map(([name, value]) => [name, Buffer.from(value, 'latin1').toString('utf8')]));
    expect(values).toEqual({ 'remote-user': 'alice', 'remote-groups': 'dev,ops', 'remote-name': '张伟 Zoë', 'remote-email': 'alice@example.com' });
  });

  it('never sends our session cookie upstream, in any Cookie header, and keeps the others', async () => {
    await sendRaw(
      'GET / HTTP/1.1\r\nHost: app.localhost:8443\r\nCookie: a=1; gatehouse_session=secret1; b="two"\r\n' +
        'Cookie: gatehouse_session=secret2\r\nCookie: c=3\r\nConnection: close\r\n\r\n',
    );
    const { headers, rawHeaders } = upstreamSaw();
    expect(headers.cookie).toBe('a=1; b="two"; c=3');
    expect(rawHeaders.join('\n')).not.toContain('secret');
  });

  it('sends no Cookie header when ours was the only cookie', async () => {
    await send({ headers: { cookie: 'gatehouse_session=secret' } });
    expect(upstreamSaw().headers).not.toHaveProperty('cookie');
  });
});

describe('streaming bodies', () => {
  it('streams 20 MB up and 20 MB back through the proxy without waiting for either to finish', async () => {
    routes.set('/echo', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-length': String(req.headers['content-length']) });
      req.pipe(res);
    });
    const total = 20 * MB;
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    let firstEcho!: () => void;
    const echoed = new Promise<void>((resolve) => (firstEcho = resolve));

    const req = http.request({
      host: '127.0.0.1',
      port: gatewayPort,
      agent: false,
      method: 'POST',
      path: '/echo',
      headers: { host: 'app.localhost:8443', 'content-length': String(total) },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', (res: IncomingMessage) => {
        res.on('data', (chunk: Buffer) => {
          received.update(chunk);
          receivedBytes += chunk.length;
          firstEcho();
        });
        res.on('end', () => resolve(res));
        res.on('error', reject);
      });
      req.on('error', reject);
    });

    let written = 0;
    const write = async (bytes: number) => {
      const chunk = randomBytes(bytes);
      sent.update(chunk);
      written += bytes;
      if (!req.write(chunk)) await once(req, 'drain');
    };
    await write(MB);
    // Only an echo of the first megabyte lets us go on: a proxy that buffered the request (or
    // the response) whole would never send it.
    await Promise.race([echoed, new Promise((_, reject) => setTimeout(() => reject(new Error('no echo before the request ended: buffered')), 10_000))]);
    expect(receivedBytes).toBeLessThan(total);
    while (written < total) await write(Math.min(256 * 1024, total - written));
    req.end();

    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-length']).toBe(String(total));
    expect(receivedBytes).toBe(total);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('keeps a chunked request chunked and a chunked response chunked', async () => {
    // The client ends its body only once the upstream has its first part: the body is still
    // arriving when the gateway forwards it, so it must stream it, chunked. (Ended before the
    // gateway was done checking, as a fixed 20-ms pause allowed on a busy machine, a body goes
    // with its Content-Length: valid, but not what this test is about.)
    let firstPart!: () => void;
    const upstreamHasFirstPart = new Promise<void>((resolve) => (firstPart = resolve));
    routes.set('/chunked', async (req, res) => {
      const parts: Buffer[] = [];
      for await (const part of req) {
        parts.push(part as Buffer);
        firstPart();
      }
      res.writeHead(200, { 'x-te': String(req.headers['transfer-encoding']), 'x-cl': String(req.headers['content-length']) });
      res.write(Buffer.concat(parts));
      res.end('!');
    });
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gatewayPort, agent: false, method: 'PUT', path: '/chunked', headers: { host: 'app.localhost:8443' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: {}, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.write('one,');
      void upstreamHasFirstPart.then(() => req.end('two'));
    });
    expect(reply.headers['x-te']).toBe('chunked');
    expect(reply.headers['x-cl']).toBe('undefined');
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.body.toString()).toBe('one,two!');
  });
});

describe('connection reuse', () => {
  it('reuses one upstream connection for 50 sequential requests', async () => {
    await send({ path: '/warm' });
    const before = upstreamConnections;
    for (let i = 0; i < 50; i++) expect((await send({ path: `/r${i}` })).status).toBe(200);
    expect(upstreamConnections - before).toBe(0);
  });

  it('opens no more connections than requests in flight', async () => {
    const before = upstreamConnections;
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => send({ path: `/p${round}-${i}` })));
      expect(replies.every((r) => r.status === 200)).toBe(true);
    }
    expect(upstreamConnections - before).toBeLessThanOrEqual(10);
  });
});

describe('upstream failures', () => {
  it('reports an upstream that refuses connections as unavailable (502)', async () => {
    const reply = await send({ host: 'down.localhost' });
    expect(reply.status).toBe(502);
    expect(state.errors).toEqual(['unavailable']);
  });

  it('still answers 502 to a POST whose body it never read', async () => {
    const reply = await send({ host: 'down.localhost', method: 'POST', body: 'x'.repeat(100_000) });
    expect(reply.status).toBe(502);
    expect(state.errors).toEqual(['unavailable']);
  });

  it('reports a slow upstream as a timeout (504) after the site timeout', async () => {
    routes.set('/slow', (req, res) => {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
      req.resume();
    });
    const started = Date.now();
    const reply = await send({ host: 'slow.localhost', path: '/slow' });
    const elapsed = Date.now() - started;
    expect(reply.status).toBe(504);
    expect(state.errors).toEqual(['timeout']);
    // Not before the site timeout; and the 504, not the upstream's late answer, shows it was the timeout.
    expect(elapsed).toBeGreaterThanOrEqual(250);
  });

  it('does not time out a response whose headers came in time, however slow its body', async () => {
    routes.set('/slow-body', (_req, res) => {
      res.writeHead(200);
      res.write('a');
      setTimeout(() => res.end('b'), 600);
    });
    const reply = await send({ host: 'slow.localhost', path: '/slow-body' });
    expect(reply.body.toString()).toBe('ab');
    expect(state.errors).toEqual([]);
  });

  it('retries a GET once when the connection is reset before any response, then reports it', async () => {
    routes.set('/reset', (req) => req.socket.destroy());
    const reply = await send({ path: '/reset' });
    expect(reply.status).toBe(502);
    expect(seen.map((r) => r.url)).toEqual(['/reset', '/reset']);
    expect(state.errors).toEqual(['unavailable']);
  });

  it('does not resend a POST', async () => {
    routes.set('/reset', (req) => req.socket.destroy());
    const reply = await send({ path: '/reset', method: 'POST', body: 'payload' });
    expect(reply.status).toBe(502);
    expect(seen).toHaveLength(1);
  });

  it('cuts the client connection when the upstream dies mid-response', async () => {
    routes.set('/half', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(10), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    await expect(send({ path: '/half' })).rejects.toThrow(/aborted|ECONNRESET|socket hang up/);
    expect(state.errors).toEqual([]);
  });
});

describe('client going away', () => {
  it('aborts the upstream request when the client leaves mid-response', async () => {
    const upstreamClosed = new Promise<void>((resolve) => {
      routes.set('/forever', (_req, res) => {
        res.writeHead(200);
        const timer = setInterval(() => res.write('tick\n'), 5);
        res.on('close', () => {
          clearInterval(timer);
          resolve();
        });
      });
    });
    const completedBefore = state.completed;
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gatewayPort, agent: false, path: '/forever', headers: { host: 'app.localhost:8443' } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.on('close', () => resolve());
      req.on('timeout', reject);
      req.end();
    });
    await upstreamClosed;
    await expect.poll(() => state.completed).toBe(completedBefore + 1);
    expect((await send({ path: '/after' })).status).toBe(200);
  });

  it('aborts the upstream request when the client leaves before the response starts', async () => {
    const upstreamClosed = new Promise<void>((resolve) => routes.set('/never', (_req, res) => res.on('close', () => resolve())));
    const socket = net.connect(gatewayPort, '127.0.0.1');
    socket.write('GET /never HTTP/1.1\r\nHost: app.localhost:8443\r\n\r\n');
    await expect.poll(() => seen.length).toBe(1);
    socket.destroy();
    await upstreamClosed;
    expect(state.errors).toEqual([]);
  });
});

describe('upgrade (WebSocket)', () => {
  it('passes the handshake, frames both ways (including ones sent with the handshake) and identity', async () => {
    state.identity = buildIdentityHeaders({ username: 'alice', displayName: 'Alice', email: 'a@example.com', groups: ['dev'] });
    const key = randomBytes(16).toString('base64');
    const socket = net.connect(gatewayPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET /ws/chat?room=1 HTTP/1.1\r\nHost: app.localhost:8443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nRemote-User: mallory\r\nremote_groups: admins\r\n` +
            `Cookie: gatehouse_session=secret; app=1\r\n\r\n`,
        ),
        wsFrame('early'),
      ]),
    );
    const reader = frameReader(socket);
    const head = await reader.head();
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head.toLowerCase()).toContain(`sec-websocket-accept: ${acceptKey(key).toLowerCase()}`);
    expect(head.toLowerCase()).toContain('upgrade: websocket');
    expect(head.toLowerCase()).toContain('connection: upgrade');
    expect(await reader.frame()).toBe('early');

    socket.write(wsFrame('hello through the gateway'));
    expect(await reader.frame()).toBe('hello through the gateway');
    const big = 'z'.repeat(70_000);
    socket.write(wsFrame(big));
    expect(await reader.frame()).toBe(big);

    const req = upstreamSaw();
    expect(req.url).toBe('/ws/chat?room=1');
    expect(upstreamSockets).toHaveLength(1);
    expect(req.headers['remote-user']).toBe('alice');
    expect(req.headers['remote-groups']).toBe('dev');
    expect(req.headers).not.toHaveProperty('remote_groups');
    expect(req.headers.cookie).toBe('app=1');
    expect(req.headers['x-forwarded-for']).toBe('127.0.0.1');

    // The client leaving closes the upstream side of the tunnel too.
    socket.destroy();
    await expect.poll(() => upstreamSockets[0]!.destroyed).toBe(true);
  });

  it('reports an upstream that does not answer the upgrade in time as a timeout', async () => {
    const response = await sendRaw(
      'GET /ws/silent HTTP/1.1\r\nHost: slow.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 504 /);
    expect(state.errors).toEqual(['timeout']);
  });

  it('relays an upstream that declines the upgrade and closes the connection', async () => {
    const response = await sendRaw(
      'GET /ws/forbidden HTTP/1.1\r\nHost: app.localhost:8443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response.endsWith('\r\n\r\nnot you')).toBe(true);
  });

  it.each(['h2c', 'websocket, h2c', 'TLS/1.2'])('refuses Upgrade: %s itself, whoever calls upgrade(), and the upstream sees nothing', async (token) => {
    const response = await sendRaw(
      `GET /ws/chat HTTP/1.1\r\nHost: app.localhost:8443\r\nUpgrade: ${token}\r\nConnection: Upgrade, HTTP2-Settings\r\n` +
        `HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n` +
        'GET /admin HTTP/1.1\r\nHost: app.localhost:8443\r\n\r\n',
    );
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen).toEqual([]);
  });

  it('opens no tunnel to an upstream whose 101 does not complete the WebSocket handshake', async () => {
    const response = await sendRaw(
      'GET /ws/any101 HTTP/1.1\r\nHost: app.localhost:8443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n` +
        'GET /admin HTTP/1.1\r\nHost: app.localhost:8443\r\n\r\n',
    );
    expect(response).toMatch(/^HTTP\/1\.1 502 /);
    expect(state.errors).toEqual(['unavailable']);
    expect(seen.map((s) => s.url)).toEqual(['/ws/any101']);
    await expect.poll(() => upstreamSockets[0]!.destroyed).toBe(true);
  });

  it('reports an unreachable upstream and answers 502', async () => {
    const response = await sendRaw(
      'GET /ws HTTP/1.1\r\nHost: down.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 502 /);
    expect(state.errors).toEqual(['unavailable']);
  });
});

// A minimal WebSocket server side: handshake by hand, then echo text frames.
function onUpstreamUpgrade(req: IncomingMessage, socket: net.Socket, head: Buffer): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers });
  upstreamSockets.push(socket);
  if (req.url?.startsWith('/ws/silent')) {
    socket.on('error', () => {});
    socket.on('close', () => {});
    setTimeout(() => socket.destroy(), 2000);
    return;
  }
  if (req.url?.startsWith('/ws/any101')) {
    // Switches to whatever was asked, without the accept key: not a WebSocket server.
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${String(req.headers.upgrade)}\r\nConnection: Upgrade\r\n\r\n`);
    return;
  }
  if (req.url?.startsWith('/ws/forbidden')) {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nX-Reason: policy\r\n\r\nnot you');
    return;
  }
  const key = String(req.headers['sec-websocket-key']);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
  let buffer = head;
  const drain = () => {
    for (;;) {
      const frame = parseFrame(buffer);
      if (!frame) return;
      buffer = buffer.subarray(frame.size);
      socket.write(wsFrame(frame.payload.toString(), false));
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    drain();
  });
  socket.on('error', () => {});
  // Upgraded sockets allow half-open: close our side when the proxy closes its.
  socket.on('end', () => socket.end());
  drain();
}

function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** A single-frame text message; clients must mask, servers must not. */
function wsFrame(text: string, masked = true): Buffer {
  const payload = Buffer.from(text);
  const length =
    payload.length < 126
      ? Buffer.from([payload.length])
      : payload.length < 65536
        ? Buffer.from([126, payload.length >> 8, payload.length & 255])
        : Buffer.concat([
            Buffer.from([127, 0, 0, 0, 0]),
            (() => {
              const b = Buffer.alloc(4);
              b.writeUInt32BE(payload.length);
              return b;
            })(),
          ]);
  if (!masked) return Buffer.concat([Buffer.from([0x81]), length, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  length[0] = length[0]! | 0x80;
  return Buffer.concat([Buffer.from([0x81]), length, mask, body]);
}

function parseFrame(buffer: Buffer): { payload: Buffer; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = buffer.readUInt32BE(6);
    offset = 10;
  }
  const maskKey = masked ? buffer.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (maskKey) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ maskKey[i % 4]!;
  return { payload, size: offset + length };
}

/** Reads the HTTP head, then whole frames, from a client socket. */
function frameReader(socket: net.Socket) {
  let buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake?.();
  });
  const waitFor = async <T>(take: () => T | undefined): Promise<T> => {
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return {
    head: () =>
      waitFor(() => {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return undefined;
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        return head;
      }),
    frame: () =>
      waitFor(() => {
        const frame = parseFrame(buffer);
        if (!frame) return undefined;
        buffer = buffer.subarray(frame.size);
        return frame.payload.toString();
      }),
  };
}
