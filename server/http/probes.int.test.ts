import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, PORTAL, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * /healthz and /readyz answer on every host, a protected site's included: a probe carries
 * whatever Host it has. The rule is narrow on purpose: these two exact paths, GET and HEAD,
 * answered by Gatehouse and never proxied. Everything else about a protected site, near misses
 * of these paths included, still goes through its policy.
 */
let h: GatewayHarness;
let alice: string;
beforeAll(async () => {
  h = await startGatewayHarness();
  alice = await h.signIn('alice');
});
afterAll(() => h?.close());

const upstreamRequests = () => h.upstream.seen.length;

describe('health and readiness on every host', () => {
  const hosts = () => [PORTAL, APP, `${APP}:80`, WIKI, 'unknown.example', `127.0.0.1:${h.port}`, '10.1.2.3:9091', '[::1]', 'APP.LOCALHOST'];

  it.each(['/healthz', '/readyz'])('GET and HEAD %s are answered by Gatehouse on every host, anonymous or signed in', async (path) => {
    const before = upstreamRequests();
    for (const host of hosts()) {
      for (const cookie of [undefined, alice]) {
        const get = await h.request({ path, host, headers: cookie ? { cookie } : {} });
        expect(get.status, `${host}${path}`).toBe(200);
        expect(JSON.parse(get.body).status, `${host}${path}`).toBe(path === '/healthz' ? 'ok' : 'ready');
        expect(get.headers['cache-control']).toBe('no-store');
        const head = await h.request({ method: 'HEAD', path, host, headers: cookie ? { cookie } : {} });
        expect(head.status, `HEAD ${host}${path}`).toBe(200);
        expect(head.body).toBe('');
      }
    }
    expect(upstreamRequests()).toBe(before);
  });

  it.each(['/healthz?probe=1', '//healthz', '/./healthz', '/x/../healthz', '/%68ealthz', '/readyz?'])(
    '%s names the same resource once normalized: answered by Gatehouse on a protected host, never proxied',
    async (path) => {
      const before = upstreamRequests();
      const res = await h.request({ path, host: APP, headers: { cookie: alice } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).status).toMatch(/^(ok|ready)$/);
      expect(upstreamRequests()).toBe(before);
    },
  );

  it('a probe without any Host header (HTTP/1.0) is answered too', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.port, '127.0.0.1', () => socket.end('GET /healthz HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/"status":"ok"/);
  });
});

describe('nothing else of a protected site is taken over', () => {
  // Near misses: each is a different resource of the site and must meet its policy (anonymous:
  // sent to sign in, or refused as an unreadable path), never a probe answer or the upstream.
  const nearMisses = [
    '/healthz/',
    '/healthz/x',
    '/healthzz',
    '/healthz.json',
    '/Healthz',
    '/HEALTHZ',
    '/READYZ',
    '/healthz;a=b',
    '/readyz;',
    '/healthz%20',
    '/healthz%2f',
    '/healthz%00',
    '/_healthz',
    '/api/healthz',
    '/docs/healthz',
    '/docs/readyz',
    '/healthz/..;/admin',
    '/metrics',
    '/livez',
  ];

  it.each(nearMisses)('anonymous GET %s on a protected host meets the site policy', async (path) => {
    const before = upstreamRequests();
    const res = await h.request({ path, host: APP });
    expect([302, 400], `${path} → ${res.status}`).toContain(res.status);
    if (res.status === 302) expect(new URL(res.headers.location!).host).toBe(PORTAL);
    expect(res.body).not.toMatch(/"status"/);
    expect(upstreamRequests()).toBe(before);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s /healthz on a protected host is the site’s: sign-in first, then the application', async (method) => {
    const before = upstreamRequests();
    const anonymous = await h.request({ method, path: '/healthz', host: APP });
    expect(anonymous.status).toBe(303);
    expect(new URL(anonymous.headers.location!).host).toBe(PORTAL);
    expect(upstreamRequests()).toBe(before);
    const signedIn = await h.request({ method, path: '/healthz', host: APP, headers: { cookie: alice } });
    expect(signedIn.status).toBe(200);
    expect(JSON.parse(signedIn.body)).toMatchObject({ method, url: '/healthz' });
    expect(h.upstream.seen.at(-1)?.headers['remote-user']).toBe('alice');
  });

  it('an application’s own /healthz under a path prefix is still the application’s', async () => {
    const res = await h.request({ path: '/docs/healthz', host: APP, headers: { cookie: alice } });
    expect(res.status).toBe(200);
    // The docs site maps /docs/ to the upstream's /v2/.
    expect(JSON.parse(res.body)).toMatchObject({ method: 'GET', url: '/v2/healthz' });
  });

  it('a WebSocket upgrade to /healthz on a protected host is neither proxied nor a probe', async () => {
    const before = upstreamRequests();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.port, '127.0.0.1', () =>
        socket.write(
          `GET /healthz HTTP/1.1\r\nHost: ${APP}\r\nCookie: ${alice}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
        ),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(upstreamRequests()).toBe(before);
  });
});
