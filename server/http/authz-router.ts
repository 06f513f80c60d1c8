import { Router, type Request, type Response } from 'express';
import { normalizePath } from '../policy/normalize-path.js';
import { parseHostHeader } from '../policy/normalize-host.js';
import { targetFromForwardedHeaders, targetFromOriginalUrl } from '../proxy/forward-auth-target.js';
import { buildIdentityHeaders } from '../proxy/identity-headers.js';
import { signInUrl, type GatewayContext } from './context.js';
import { decideProtectedRequest, originalUrl } from './protected-request.js';

type Flavour = 'forward_auth' | 'auth_request';

/**
 * Forward-auth for proxies already in place, on Authelia's paths:
 * - /api/authz/forward-auth (Traefik forwardAuth, Caddy forward_auth): 200 / 302 / 403;
 * - /api/authz/auth-request (nginx auth_request): 200 / 401 (with Location) / 403.
 * Only registered proxies (trusted_proxies) may ask. Every failure answers 4xx/5xx.
 */
export function createAuthzRouter(ctx: GatewayContext): Router {
  const router = Router();
  router.all('/api/authz/forward-auth', (req, res) => authorize(ctx, req, res, 'forward_auth'));
  router.all('/api/authz/auth-request', (req, res) => authorize(ctx, req, res, 'auth_request'));
  return router;
}

async function authorize(ctx: GatewayContext, req: Request, res: Response, flavour: Flavour): Promise<void> {
  res.set('cache-control', 'no-store');
  const refuse = (status: number, decision: string) => {
    ctx.metrics.decisions.inc({ route: flavour, decision });
    res.status(status).end();
  };
  const peer = req.socket.remoteAddress ?? '';
  if (!ctx.isTrustedProxy(peer)) {
    ctx.logger.warn({ peer, flavour }, 'forward-auth request from an unregistered address refused');
    return refuse(403, 'untrusted');
  }
  const target = flavour === 'forward_auth' ? targetFromForwardedHeaders(req.headers) : targetFromOriginalUrl(req.headers);
  if (!target.ok) return refuse(400, 'malformed');
  const host = parseHostHeader(target.host);
  const path = normalizePath(target.requestTarget);
  if (!host || !path.ok) return refuse(400, 'malformed');
  const site = ctx.sites.match(host.hostname, host.port, path.matchPath);
  if (!site || site.url.protocol !== `${target.proto}:`) return refuse(403, 'unknown_site');

  const outcome = await decideProtectedRequest(ctx, req, { domain: host.hostname, matchPath: path.matchPath, method: target.method }, req.headers['x-forwarded-for']);
  if (outcome.kind !== 'decided') return refuse(outcome.kind === 'store-unavailable' ? 503 : 500, 'error');
  const { decision, session } = outcome.auth;
  ctx.metrics.decisions.inc({ route: flavour, decision: decision.kind });
  switch (decision.kind) {
    case 'allow':
      if (session) res.set(buildIdentityHeaders(session.user));
      res.status(200).end();
      return;
    case 'deny':
      res.status(403).end();
      return;
    default: {
      const location = signInUrl(ctx, originalUrl(site, path.path, path.query));
      if (flavour === 'auth_request') {
        res.status(401).set('location', location).end();
      } else {
        const safe = target.method === 'GET' || target.method === 'HEAD';
        res.status(safe ? 302 : 303).set('location', location).end();
      }
    }
  }
}
