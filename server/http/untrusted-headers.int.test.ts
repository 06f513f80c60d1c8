import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalHeaderName } from '../proxy/identity-headers.js';
import { UNTRUSTED_REQUEST_HEADERS } from '../proxy/untrusted-request-headers.js';
import { APP, TRUSTED_PROXY, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { startTunnelUpstream } from '../testing/tunnel-upstream.js';

/**
 * Headers an application may take as who is signed in (other gateways' identity headers) or as
 * which path or method was asked for (URL-rewrite and method-override headers), plus the site
 * owner's server.strip_headers: no client copy reaches an upstream, on any route, from any peer.
 */

const WS = 'ws.localhost';
const CONFIGURED = ['X-Internal-Role', 'X_Tenant'];

let h: GatewayHarness;
let tunnel: Awaited<ReturnType<typeof startTunnelUpstream>>;
let bob: string;

beforeAll(async () => {
  tunnel = await startTunnelUpstream();
  h = await startGatewayHarness({
    configure: (c) => {
      (c.server as Record<string, unknown>).strip_headers = CONFIGURED;
      c.sites.push({ name: 'ws', url: `http://${WS}/`, upstream: `http://127.0.0.1:${tunnel.port}` } as never);
      c.access_control.rules.unshift({ domain: WS, policy: 'bypass' } as never);
    },
  });
  bob = await h.signIn('bob');
});
afterAll(async () => {
  await h?.close();
  await tunnel?.close();
});

const NEVER = new Set([...UNTRUSTED_REQUEST_HEADERS, ...CONFIGURED.map(canonicalHeaderName)]);

/** Every listed name in several spellings, each sent twice. */
function spoofed(): [string, string][] {
  const out: [string, string][] = [];
  for (const name of NEVER) {
    const title = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    for (const spelling of [title, name.toUpperCase(), name.replaceAll('-', '_')]) {
      out.push([spelling, name.includes('url') || name.includes('uri') || name.includes('path') ? '/admin' : 'admin'], [spelling, 'root']);
    }
  }
  return out;
}

function leaked(rawHeaders: string[]): string[] {
  return rawHeaders.filter((_, i) => i % 2 === 0).filter((name) => NEVER.has(canonicalHeaderName(name)));
}

const seenBy = (body: string) => JSON.parse(body) as { url: string; rawHeaders: string[]; headers: Record<string, string> };

describe('headers no client may hand to an application', () => {
  it('guards its own fixture: every name is sent, in three spellings, twice', () => {
    expect(spoofed().length).toBe(NEVER.size * 6);
    expect(NEVER.size).toBeGreaterThan(40);
  });

  it.each([
    ['anonymous, on a bypass path', '/public/x', undefined, undefined],
    ['signed in', '/page', 'bob', undefined],
    ['anonymous, through a trusted proxy', '/public/x', undefined, TRUSTED_PROXY],
    ['signed in, through a trusted proxy', '/page', 'bob', TRUSTED_PROXY],
  ])('never reach the upstream: %s', async (_name, path, who, localAddress) => {
    const headers: [string, string][] = [...spoofed(), ['X-Kept', 'yes'], ...(who ? ([['cookie', bob]] as [string, string][]) : [])];
    const res = await h.request({ path, host: APP, headers, ...(localAddress ? { localAddress } : {}) });
    expect(res.status).toBe(200);
    const seen = seenBy(res.body);
    expect(leaked(seen.rawHeaders)).toEqual([]);
    // The request was proxied with the rest of its headers, and the path the policy judged.
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.url).toBe(path);
    if (who) expect(seen.headers['remote-user']).toBe('bob');
  });

  it('a trusted proxy’s own X-Forwarded-* still pass, except the listed ones', async () => {
    const res = await h.request({
      path: '/public/x',
      host: APP,
      headers: { 'x-forwarded-ssl': 'on', 'x-forwarded-uri': '/admin', 'x-forwarded-prefix': '/admin', 'x-forwarded-user': 'admin', 'x-forwarded-method': 'DELETE' },
      localAddress: TRUSTED_PROXY,
    });
    const seen = seenBy(res.body);
    expect(seen.headers['x-forwarded-ssl']).toBe('on');
    expect(leaked(seen.rawHeaders)).toEqual([]);
  });

  it('never reach the upstream of a WebSocket upgrade', async () => {
    const head =
      `GET /ws-real/x HTTP/1.1\r\nHost: ${WS}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      spoofed()
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      'X-Kept: yes\r\n\r\n';
    const status = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.port, '127.0.0.1', () => socket.write(head));
      let data = '';
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString('latin1');
        if (data.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(data.slice(0, 12));
        }
      });
      socket.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 101');
    const seen = tunnel.seen.find((s) => s.path === '/ws-real/x')!;
    expect(seen.headers.filter(([name]) => NEVER.has(canonicalHeaderName(name)))).toEqual([]);
    expect(seen.headers).toContainEqual(['x-kept', 'yes']);
  });
});
