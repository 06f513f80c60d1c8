import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/** The companion app as a phone's browser fetches it: types, caching, the page's CSP, and nothing else served. */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

const get = (path: string, method = 'GET') => h.request({ method, path, host: PORTAL });

describe('companion router', () => {
  it.each([
    ['/companion/', 'text/html; charset=utf-8', 'no-cache'],
    ['/companion/app.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/companion-core.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/push-wire-format.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/companion-store.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/companion-strings.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/sw.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/companion/companion.css', 'text/css; charset=utf-8', 'no-cache'],
    ['/companion/manifest.webmanifest', 'application/manifest+json; charset=utf-8', 'no-cache'],
    ['/companion/icons/icon-192.png', 'image/png', 'public, max-age=86400'],
    ['/companion/icons/maskable-512.png', 'image/png', 'public, max-age=86400'],
    ['/companion/icons/icon.svg', 'image/svg+xml', 'public, max-age=86400'],
  ])('%s is %s, cache %s, nosniff', async (path, type, cache) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cache);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
  });

  it('the page carries the portal CSP, which lets it load its module, manifest, worker and API', async () => {
    const res = await get('/companion/');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of ["script-src 'self'", "connect-src 'self'", "manifest-src 'self'", "worker-src 'self'", "img-src 'self'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(res.headers['x-frame-options']).toBe('DENY');
    // No inline script: the CSP would block it.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).toContain('<script type="module" src="app.js"></script>');
    expect(res.body).toContain('<link rel="manifest" href="manifest.webmanifest">');
  });

  it('serves every module the companion’s scripts import, and the worker caches each for offline use', async () => {
    const seen = new Set<string>();
    const queue = ['app.js', 'sw.js'];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await get(`/companion/${name}`);
      expect([name, res.status]).toEqual([name, 200]);
      for (const m of res.body.matchAll(/^\s*(?:import|export)\b[^'"\n]*\sfrom\s*'\.\/([^']+)'/gm)) queue.push(m[1]!);
    }
    expect(seen).toContain('push-wire-format.js');
    const shell = (await get('/companion/sw.js')).body;
    for (const name of [...seen].filter((n) => n !== 'sw.js')) expect(shell).toContain(`'${name}'`);
  });

  it('the worker may control the companion scope', async () => {
    expect((await get('/companion/sw.js')).headers['service-worker-allowed']).toBe('/companion/');
  });

  it('the manifest names the app, its icons (192, 512, maskable), standalone display, start_url and scope', async () => {
    const manifest = JSON.parse((await get('/companion/manifest.webmanifest')).body);
    expect(manifest).toMatchObject({ display: 'standalone', start_url: './', scope: './' });
    expect(manifest.name).toBeTruthy();
    const icons = manifest.icons as { src: string; sizes: string; purpose: string }[];
    for (const [sizes, purpose] of [
      ['192x192', 'any'],
      ['512x512', 'any'],
      ['192x192', 'maskable'],
      ['512x512', 'maskable'],
    ]) {
      const icon = icons.find((i) => i.sizes === sizes && i.purpose === purpose);
      expect(icon).toBeDefined();
      const res = await get(`/companion/${icon!.src}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
    }
  });

  it('HEAD answers without a body', async () => {
    const res = await get('/companion/app.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
  });

  it('without the trailing slash redirects to the scope', async () => {
    const res = await get('/companion');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/companion/');
  });

  it.each([
    '/companion/companion-core.test.ts',
    '/companion/companion-core.d.ts',
    '/companion/make-icons.mjs',
    '/companion/../companion/app.js.map',
    '/companion/icons/',
    '/companion/APP.JS',
    '/companion/index.html/',
  ])('%s is not served', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
  });
});
