import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { GatewayContext } from './context.js';

/**
 * The companion app (client/companion) at `{base}companion/`. An explicit list, read once at
 * start-up: only what the phone needs is served (not the tests or the icon script), each with
 * its own type — the manifest as application/manifest+json, the service worker never cached
 * stale (a phone must pick up a new worker). The page gets the portal's own headers (CSP).
 */

const JS = 'text/javascript; charset=utf-8';
const FILES: Record<string, { type: string; cache: string }> = {
  'index.html': { type: 'text/html; charset=utf-8', cache: 'no-cache' },
  'app.js': { type: JS, cache: 'no-cache' },
  'companion-core.js': { type: JS, cache: 'no-cache' },
  'push-wire-format.js': { type: JS, cache: 'no-cache' },
  'companion-store.js': { type: JS, cache: 'no-cache' },
  'companion-strings.js': { type: JS, cache: 'no-cache' },
  'sw.js': { type: JS, cache: 'no-cache' },
  'companion.css': { type: 'text/css; charset=utf-8', cache: 'no-cache' },
  'manifest.webmanifest': { type: 'application/manifest+json; charset=utf-8', cache: 'no-cache' },
  'icons/icon.svg': { type: 'image/svg+xml', cache: 'public, max-age=86400' },
  'icons/icon-192.png': { type: 'image/png', cache: 'public, max-age=86400' },
  'icons/icon-512.png': { type: 'image/png', cache: 'public, max-age=86400' },
  'icons/maskable-192.png': { type: 'image/png', cache: 'public, max-age=86400' },
  'icons/maskable-512.png': { type: 'image/png', cache: 'public, max-age=86400' },
};

/** From source (server/http) and from the build (dist/server/http) the folder sits at a different depth. */
export function findCompanionDir(): string | undefined {
  const candidates = ['../../client/companion', '../../../client/companion'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

export function createCompanionRouter(ctx: GatewayContext, dir: string | undefined = findCompanionDir()): express.Router {
  const scope = `${ctx.portal.basePath}companion/`;
  if (dir === undefined) {
    // An image built without client/companion: sign-in works, only the phone app is missing.
    ctx.logger.error('client/companion not found: the companion app (push approval) is not served');
    return express.Router();
  }
  const files = new Map(Object.entries(FILES).map(([name, meta]) => [name, { ...meta, body: readFileSync(join(dir, name)) }]));
  const router = express.Router({ strict: true, caseSensitive: true });

  // Relative URLs in the page (app.js, manifest, sw.js) need the trailing slash.
  router.get('/companion', (_req: Request, res: Response) => {
    res.redirect(301, scope);
  });
  router.get(['/companion/', '/companion/*path'], (req: Request, res: Response, next) => {
    const name = req.path === '/companion/' ? 'index.html' : req.path.slice('/companion/'.length);
    const file = files.get(name);
    if (!file) return next();
    const headers: Record<string, string | number | string[]> = {
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': file.cache,
      'x-content-type-options': 'nosniff',
    };
    if (name === 'index.html') Object.assign(headers, ctx.portal.pageHeaders, { 'content-type': file.type, 'cache-control': file.cache });
    if (name === 'sw.js') headers['service-worker-allowed'] = scope;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  return router;
}
