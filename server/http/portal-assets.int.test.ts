import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { createPageHeaders } from './security-headers.js';

/**
 * The portal's built assets as a browser gets them: one bundle per page, named by its content and
 * cached for a year, compressed as the request accepts, and nothing else reachable under static/.
 */
let h: GatewayHarness;
let cookie: string;
beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => void Object.assign(c, { second_factors: { webauthn: { passwordless: true } } }) });
  cookie = await h.signIn('alice');
});
afterAll(() => h?.close());

/** A raw GET: the body as the bytes on the wire, whatever their coding. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: h.port, path, method, headers: { host: PORTAL, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SCRIPT_TAG = /<script type="module" src="\/static\/([A-Za-z0-9+-]+\.[A-Z0-9]{8}\.js)" integrity="(sha384-[A-Za-z0-9+/=]+)"><\/script>/;
const STYLE_TAG = /<link rel="stylesheet" href="\/static\/(portal\.[A-Z0-9]{8}\.css)" integrity="(sha384-[A-Za-z0-9+/=]+)">/;
const sri = (bytes: Buffer) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const decode = (coding: string | undefined, raw: Buffer) => (coding === 'br' ? brotliDecompressSync(raw) : coding === 'gzip' ? gunzipSync(raw) : raw);

describe('each portal page', () => {
  const pages: Array<[string, string, boolean]> = [
    // path, signed in, has a script
    ['/', 'no', true], // passkey sign-in
    ['/', 'yes', true], // home: the session's start time
    ['/methods', 'yes', false], // no factor yet: nothing to manage without one, no passkey script
    ['/sessions', 'yes', true],
    ['/logout', 'yes', false],
    ['/no-such-page', 'no', false],
  ];

  it.each(pages)('%s (signed in: %s) loads at most one script, a built bundle served for a year with its SRI value', async (path, signedIn, hasScript) => {
    const page = await get(path, signedIn === 'yes' ? { cookie } : {});
    const html = page.raw.toString();
    expect(html.match(/<script/g) ?? []).toHaveLength(hasScript ? 1 : 0);
    const style = STYLE_TAG.exec(html);
    expect(style).not.toBeNull();
    const tags = [style!, ...(hasScript ? [SCRIPT_TAG.exec(html)] : [])];
    for (const tag of tags) {
      expect(tag, html.slice(0, 800)).not.toBeNull();
      const [, file, integrity] = tag!;
      const res = await get(`/static/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(file!.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(sri(res.raw)).toBe(integrity);
    }
  });

  it('keeps the strict CSP: no inline script, scripts only from the portal itself', async () => {
    const expected = createPageHeaders({ https: false, formTargets: h.gateway.ctx.config.sites.map((s) => s.url.origin) })['content-security-policy'];
    for (const [path, signedIn] of pages) {
      const page = await get(path, { 'accept-encoding': 'br', ...(signedIn === 'yes' ? { cookie } : {}) });
      expect(page.headers['content-security-policy']).toBe(expected);
      expect(page.headers['content-security-policy']).toContain("script-src 'self';");
      expect(decode(page.headers['content-encoding'], page.raw).toString()).not.toMatch(/<script(?![^>]* src="\/static\/)/);
    }
  });

  it('names each bundle with a source map that is served too', async () => {
    const file = SCRIPT_TAG.exec((await get('/', {})).raw.toString())![1]!;
    const js = (await get(`/static/${file}`)).raw.toString();
    expect(js.trimEnd().endsWith(`//# sourceMappingURL=${file}.map`)).toBe(true);
    const map = await get(`/static/${file}.map`);
    expect(map.status).toBe(200);
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(map.raw.toString()).sources.some((s: string) => s.endsWith('static/webauthn.js'))).toBe(true);
  });
});

describe('compression', () => {
  let script: string;
  let style: string;
  beforeAll(async () => {
    const html = (await get('/')).raw.toString();
    script = `/static/${SCRIPT_TAG.exec(html)![1]}`;
    style = `/static/${STYLE_TAG.exec(html)![1]}`;
  });

  const resources = () =>
    [
      ['script', script, {}],
      ['stylesheet', style, {}],
      ['sign-in page', '/', {}],
      ['home page', '/', { cookie }],
    ] as Array<[string, string, Record<string, string>]>;

  it.each([
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['BR', 'br'],
    ['*', 'br'],
    ['identity', undefined],
    ['deflate', undefined],
    ['br;q=0, gzip;q=0', undefined],
    ['*;q=0', undefined],
    ['br;q=2', undefined],
    ['br;q=abc', undefined],
    ['gzip;;', undefined],
  ] as Array<[string, string | undefined]>)('Accept-Encoding %j → %s, and the same bytes once decoded', async (accept, coding) => {
    for (const [name, path, headers] of resources()) {
      const plain = await get(path, headers);
      const res = await get(path, { ...headers, 'accept-encoding': accept });
      expect(res.headers['content-encoding'], name).toBe(coding);
      expect(res.headers.vary, name).toBe('Accept-Encoding');
      expect(Number(res.headers['content-length']), name).toBe(res.raw.length);
      const decoded = decode(coding, res.raw).toString();
      // Pages carry a fresh CSRF token each time: compare them without it.
      const stable = (text: string) => text.replace(/[A-Za-z0-9_-]{43}/g, '…');
      expect(stable(decoded), name).toBe(stable(plain.raw.toString()));
      if (coding) expect(res.raw.length, name).toBeLessThan(plain.raw.length);
    }
  });

  it('sends nothing compressed when the request has no Accept-Encoding', async () => {
    for (const [name, path, headers] of resources()) {
      const res = await get(path, headers);
      expect(res.headers['content-encoding'], name).toBeUndefined();
      expect(res.raw.toString(), name).toMatch(name.endsWith('page') ? /^<!doctype html>/ : /\S/);
    }
    expect((await get(script)).raw.toString()).toContain('navigator.credentials');
  });

  it('answers HEAD with the headers of the coding and no body', async () => {
    const res = await get(script, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.raw.length).toBe(0);
  });

  it('never compresses an upstream’s answer: the proxy passes it on as it comes', async () => {
    const res = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: h.port, path: '/hello', headers: { host: 'app.localhost', cookie, 'accept-encoding': 'br, gzip' } }, (r) => {
        r.resume();
        r.on('end', () => resolve(r.headers));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res['content-encoding']).toBeUndefined();
  });
});

describe('the static route', () => {
  it.each([
    '/static/../package.json',
    '/static/..%2Fpackage.json',
    '/static/..%2f..%2fpackage.json',
    '/static/%2e%2e/package.json',
    '/static/%2e%2e%2fserver%2fgateway.ts',
    '/static/..%5Cpackage.json',
    '/static/....//package.json',
    '/static/./favicon.svg/..%2F..%2Fpackage.json',
    '/static/%252e%252e%252fpackage.json',
    '/static/portal.css',
    '/static/webauthn.js',
    '/static/webauthn-ceremonies.js',
    '/static/static.test.ts',
    '/static/local-time.d.ts',
    '/static/vendor/simplewebauthn-browser/index.js',
    '/static/manifest.json',
    '/static/.gitignore',
    '/static/favicon.svg.br',
    '/static/%00favicon.svg',
    '/static/favicon.svg%00.js',
    '/static/',
  ])('refuses %s: only the built files are there', async (path) => {
    const res = await get(path);
    // 400: the gateway refuses encoded slashes and NULs before any route sees the path.
    expect([400, 404]).toContain(res.status);
    expect(res.raw.toString()).not.toMatch(/"name": "gatehouse"|import |createGateway|sourceMappingURL/);
  });

  it('serves the favicon under its own name for a day', async () => {
    const res = await get('/static/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
  });
});
