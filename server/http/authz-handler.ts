import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { normalizePath } from '../policy/normalize-path.js';
import { parseHostHeader } from '../policy/normalize-host.js';
import { targetFromForwardedHeaders, targetFromOriginalUrl } from '../proxy/forward-auth-target.js';
import { buildIdentityHeaders } from '../proxy/identity-headers.js';
import { signInUrl, type GatewayContext } from './context.js';
import { decideProtectedRequest, originalUrl } from './protected-request.js';

export type AuthzFlavour = 'forward_auth' | 'auth_request';

/** Authelia's paths, so existing proxy configs port over. */
export const AUTHZ_PATHS: ReadonlyMap<string, AuthzFlavour> = new Map([
  ['/api/authz/forward-auth', 'forward_auth'],
  ['/api/authz/auth-request', 'auth_request'],
]);

/**
 * Forward-auth for proxies already in place, on node:http directly (it is on every request of
 * the sites behind them):
 * - /api/authz/forward-auth (Traefik forwardAuth, Caddy forward_auth): 200 / 302 / 403;
 * - /api/authz/auth-request (nginx auth_request): 200 / 401 (with Location) / 403.
 * Only registered proxies (trusted_proxies) may ask. Every failure answers 4xx/5xx.
 */
export async function handleAuthz(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, flavour: AuthzFlavour, requestId: string): Promise<void> {
  const answer = (status: number, decision: string, headers: OutgoingHttpHeaders = {}) => {
    ctx.metrics.decisions.inc({ route: flavour, decision });
    res.writeHead(status, { 'cache-control': 'no-store', 'content-length': 0, ...headers });
    res.end();
  };
  const peer = req.socket.remoteAddress ?? '';
  if (!ctx.isTrustedProxy(peer)) {
    ctx.logger.warn({ peer, flavour, requestId }, 'forward-auth request from an unregistered address refused');
    return answer(403, 'untrusted');
  }
  const target = flavour === 'forward_auth' ? targetFromForwardedHeaders(req.headers) : targetFromOriginalUrl(req.headers);
  if (!target.ok) return answer(400, 'malformed');
  const host = parseHostHeader(target.host);
  const path = normalizePath(target.requestTarget);
  if (!host || !path.ok) return answer(400, 'malformed');
  const site = ctx.sites.match(host.hostname, host.port, path.matchPath);
  if (!site || site.url.protocol !== `${target.proto}:`) return answer(403, 'unknown_site');

  const outcome = await decideProtectedRequest(ctx, req, { domain: host.hostname, matchPath: path.matchPath, method: target.method }, req.headers['x-forwarded-for'], { route: flavour, requestId });
  if (outcome.kind !== 'decided') return answer(outcome.kind === 'store-unavailable' ? 503 : 500, 'error');
  const { decision, session } = outcome.auth;
  switch (decision.kind) {
    case 'allow':
      return answer(200, 'allow', session ? buildIdentityHeaders(session.user) : {});
    case 'deny':
      return answer(403, 'deny');
    default: {
      const location = signInUrl(ctx, originalUrl(site, path.path, path.query));
      if (flavour === 'auth_request') return answer(401, decision.kind, { location });
      const safe = target.method === 'GET' || target.method === 'HEAD';
      return answer(safe ? 302 : 303, decision.kind, { location });
    }
  }
}
