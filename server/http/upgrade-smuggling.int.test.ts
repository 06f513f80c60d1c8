import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { startTunnelUpstream, type TunnelSeen } from '../testing/tunnel-upstream.js';

/**
 * Upgrade smuggling: a client upgrades a connection on a path the policy lets through, the
 * upstream switches protocols, and the client then writes plain HTTP into the tunnel — to paths
 * a rule denies, with identity headers of its own choosing. The upstream here answers 101 to
 * anything and reads HTTP/1.1 from the tunnel, so any tunnel the gateway opened would show.
 */

const TUNNEL = 'tunnel.localhost';

let h: GatewayHarness;
let tunnel: Awaited<ReturnType<typeof startTunnelUpstream>>;
let alice: string;
let bob: string;

beforeAll(async () => {
  tunnel = await startTunnelUpstream();
  h = await startGatewayHarness({
    configure: (c) => {
      c.sites.push({ name: 'tunnel', url: `http://${TUNNEL}/`, upstream: `http://127.0.0.1:${tunnel.port}` } as never);
      c.access_control.rules.unshift(
        { domain: TUNNEL, resources: ['/public/.*'], policy: 'bypass' } as never,
        { domain: TUNNEL, resources: ['/admin(/.*)?'], policy: 'deny' } as never,
        { domain: TUNNEL, policy: 'one_factor' } as never,
      );
    },
  });
  alice = await h.signIn('alice');
  bob = await h.signIn('bob');
});
afterAll(async () => {
  await h?.close();
  await tunnel?.close();
});
beforeEach(() => {
  tunnel.seen.length = 0;
  h.upstream.seen.length = 0;
});

/** What the client writes into the tunnel once it thinks it is open: a request a rule denies. */
const SMUGGLED = `GET /admin/users HTTP/1.1\r\nHost: ${TUNNEL}\r\nRemote-User: admin\r\nRemote-Groups: admins\r\n` + `X-Forwarded-User: admin\r\nX-Original-URL: /admin\r\n\r\n`;

/**
 * Writes the bytes and reads until the gateway closes the connection, or until an answer from
 * inside a tunnel arrives (which only happens if the gateway opened one). `afterHead` is
 * written once a response head has come; without it a 101 head ends the exchange.
 */
function exchange(bytes: string | Buffer, afterHead?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(h.port, '127.0.0.1', () => socket.write(bytes));
    let data = '';
    let followed = false;
    const done = () => {
      socket.destroy();
      resolve(data);
    };
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('"kind":"tunnel"')) return done();
      if (!data.includes('\r\n\r\n')) return;
      if (afterHead === undefined) {
        if (statusOf(data) === 101) done();
      } else if (!followed) {
        followed = true;
        socket.write(afterHead);
      }
    });
    socket.on('end', done);
    socket.on('error', (error) => (data === '' ? reject(error) : done()));
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
const key = () => randomBytes(16).toString('base64');
const cookieLine = (cookie?: string) => (cookie ? `Cookie: ${cookie}\r\n` : '');

function tunnelled(): TunnelSeen[] {
  return tunnel.seen.filter((s) => s.kind === 'tunnel' || s.path.startsWith('/admin'));
}

describe('upgrades other than WebSocket', () => {
  const tokens = ['h2c', 'H2C', 'h2', 'h2c, websocket', 'websocket, h2c', 'websocket h2c', 'websocket/13', 'TLS/1.2', 'HTTP/2.0', 'HTTP/1.1', 'foo', 'websocket2', 'x-websocket'];

  it.each(tokens)('Upgrade: %s on a bypass path is refused with 400 and never reaches the upstream', async (token) => {
    const response = await exchange(
      `GET /public/x HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: ${token}\r\n` +
        `HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nSec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n\r\n${SMUGGLED}`,
      SMUGGLED,
    );
    expect(statusOf(response)).toBe(400);
    expect(response).not.toContain('101 Switching');
    expect(tunnel.seen).toEqual([]);
  });

  it.each(['h2c', 'TLS/1.2', 'websocket, h2c'])('Upgrade: %s from a signed-in user is refused just the same', async (token) => {
    const response = await exchange(`GET /page HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: ${token}\r\n${cookieLine(alice)}\r\n${SMUGGLED}`, SMUGGLED);
    expect(statusOf(response)).toBe(400);
    expect(tunnel.seen).toEqual([]);
  });

  it('an h2c upgrade with a body (and a request hidden after it) is refused', async () => {
    const response = await exchange(
      `POST /public/form HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
        `HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: 3\r\n\r\na=1${SMUGGLED}`,
      SMUGGLED,
    );
    expect(statusOf(response)).toBe(400);
    expect(tunnel.seen).toEqual([]);
  });

  it('Upgrade sent twice (websocket, then h2c) is refused', async () => {
    const response = await exchange(
      `GET /public/x HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n` +
        `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      SMUGGLED,
    );
    expect(statusOf(response)).toBe(400);
    expect(tunnel.seen).toEqual([]);
  });

  it('Upgrade without Connection: upgrade is a plain request: proxied without Upgrade or HTTP2-Settings', async () => {
    const response = await exchange(`GET /public/plain HTTP/1.1\r\nHost: ${TUNNEL}\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: close\r\n\r\n`);
    expect(statusOf(response)).toBe(200);
    expect(tunnel.seen).toHaveLength(1);
    const names = tunnel.seen[0]!.headers.map(([name]) => name.replaceAll('_', '-'));
    expect(tunnel.seen[0]!.kind).toBe('plain');
    expect(names).not.toContain('upgrade');
    expect(names).not.toContain('http2-settings');
  });
});

describe('WebSocket handshakes that are not well formed', () => {
  const valid = (path: string) => ({ method: 'GET', version: '1.1', path, extra: `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n` });
  const cases: [string, number, { method: string; version: string; path: string; extra: string }][] = [
    ['POST instead of GET', 400, { ...valid('/public/ws'), method: 'POST' }],
    ['HTTP/1.0', 400, { ...valid('/public/ws'), version: '1.0' }],
    ['no Sec-WebSocket-Key', 400, { ...valid('/public/ws'), extra: 'Sec-WebSocket-Version: 13\r\n' }],
    ['a short key', 400, { ...valid('/public/ws'), extra: 'Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\nSec-WebSocket-Version: 13\r\n' }],
    ['a key that is not base64', 400, { ...valid('/public/ws'), extra: 'Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n' }],
    ['two keys', 400, { ...valid('/public/ws'), extra: `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n` }],
    ['no version', 400, { ...valid('/public/ws'), extra: `Sec-WebSocket-Key: ${key()}\r\n` }],
    ['version 8', 426, { ...valid('/public/ws'), extra: `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 8\r\n` }],
    ['two versions', 426, { ...valid('/public/ws'), extra: `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 8\r\n` }],
  ];

  it.each(cases)('%s → %i, nothing reaches the upstream', async (_name, status, c) => {
    const response = await exchange(
      `${c.method} ${c.path} HTTP/${c.version}\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${c.extra}\r\n${SMUGGLED}`,
      SMUGGLED,
    );
    expect(statusOf(response)).toBe(status);
    if (status === 426) expect(response).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/i);
    expect(tunnel.seen).toEqual([]);
  });
});

describe('WebSocket upgrades', () => {
  it('an upstream that answers 101 without completing the WebSocket handshake gets no tunnel (502)', async () => {
    const response = await exchange(
      `GET /public/ws HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` + `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n\r\n${SMUGGLED}`,
      SMUGGLED,
    );
    expect(statusOf(response)).toBe(502);
    expect(tunnel.seen.map((s) => `${s.kind} ${s.path}`)).toEqual(['upgrade /public/ws']);
    expect(tunnelled()).toEqual([]);
  });

  it('asks the upstream for websocket exactly, whatever letter case the client used', async () => {
    await exchange(
      `GET /public/ws HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n` +
        `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
    );
    expect(tunnel.seen).toHaveLength(1);
    const headers = new Map(tunnel.seen[0]!.headers);
    expect(headers.get('upgrade')).toBe('websocket');
    expect(headers.has('http2-settings')).toBe(false);
  });

  it('a real WebSocket handshake on an allowed path still switches (the control for the refusals above)', async () => {
    const response = await exchange(
      `GET /public/ws-real/chat HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\nRemote-User: admin\r\nX-Forwarded-User: admin\r\n\r\n`,
    );
    expect(statusOf(response)).toBe(101);
    const seen = tunnel.seen[0]!;
    expect(seen.path).toBe('/public/ws-real/chat');
    const names = seen.headers.map(([name]) => name);
    expect(names).not.toContain('remote-user');
    expect(names).not.toContain('x-forwarded-user');
  });

  it.each([
    ['anonymous, to a denied path', TUNNEL, '/admin/ws-real/x', undefined, 403],
    ['signed in, to a denied path', TUNNEL, '/admin/ws-real/x', 'alice', 403],
    ['anonymous, to a signed-in path', TUNNEL, '/ws-real/x', undefined, 401],
    ['a non-admin, to an admins-only path', APP, '/admin/ws-real/x', 'bob', 403],
    ['signed in, to a denied path by a dot segment', TUNNEL, '/public/../admin/ws-real/x', 'alice', 403],
    ['signed in, to a denied path by an encoded dot segment', TUNNEL, '/public/%2e%2e/admin/ws-real/x', 'alice', 403],
  ])('%s is refused (%s %s) and not proxied', async (_name, host, path, who, status) => {
    const cookie = who === 'alice' ? alice : who === 'bob' ? bob : undefined;
    const response = await exchange(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n${cookieLine(cookie)}\r\n`,
    );
    expect(statusOf(response)).toBe(status);
    expect(tunnel.seen).toEqual([]);
    expect(h.upstream.seen).toEqual([]);
  });

  it('the same WebSocket request to an allowed path is proxied (so the refusals above are the policy)', async () => {
    const response = await exchange(
      `GET /ws-real/x HTTP/1.1\r\nHost: ${TUNNEL}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: ${key()}\r\nSec-WebSocket-Version: 13\r\n${cookieLine(alice)}\r\n`,
    );
    expect(statusOf(response)).toBe(101);
    expect(new Map(tunnel.seen[0]!.headers).get('remote-user')).toBe('alice');
  });
});
