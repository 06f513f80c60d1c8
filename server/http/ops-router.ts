import { Router } from 'express';
import { compileNetworks } from '../policy/networks.js';
import type { GatewayContext } from './context.js';

/** Liveness, readiness and Prometheus metrics. */
export function createOpsRouter(ctx: GatewayContext): Router {
  const router = Router();
  const mayReadMetrics = compileNetworks(ctx.config.metrics.networks, {});

  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    res.set('cache-control', 'no-store');
    const [sessionStore, storage] = await Promise.all([
      ctx.kv.ping().then(
        () => 'ok',
        () => 'unavailable',
      ),
      ctx.storage.ping().then(
        () => 'ok',
        () => 'unavailable',
      ),
    ]);
    const ready = sessionStore === 'ok' && storage === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: { session_store: sessionStore, storage, directory: 'ok' } });
  });

  // Public keys of the identity JWT, for apps to verify it; absent without identity_jwt.
  router.get('/.well-known/jwks.json', (_req, res, next) => {
    if (!ctx.identityTokens) return next();
    res.set('cache-control', 'public, max-age=300').json(ctx.identityTokens.jwks);
  });

  router.get('/metrics', async (req, res) => {
    // The client as regulation and policy see it: behind a trusted proxy, the first untrusted
    // X-Forwarded-For hop. Judging the peer would let in everyone the proxy forwards whenever the
    // proxy's own address is in metrics.networks (a local proxy is in the default 127.0.0.0/8).
    // An unreadable X-Forwarded-For leaves only the proxy's address, so it is refused.
    const client = ctx.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (!ctx.config.metrics.enabled || client.forwardedForMalformed || !mayReadMetrics(client.ip)) {
      res.status(404).end();
      return;
    }
    const scrape = await ctx.scrapeMetrics();
    if (!scrape.ok) {
      // A partial sum would read as a counter reset; no answer is a failed scrape, which Prometheus records as such.
      ctx.logger.warn({ reason: scrape.reason }, '/metrics unavailable');
      res.status(503).set('cache-control', 'no-store').type('text/plain').send('metrics temporarily unavailable\n');
      return;
    }
    res.set('content-type', scrape.contentType).send(scrape.text);
  });
  return router;
}
