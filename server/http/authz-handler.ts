import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { normalizePath } from '../policy/normalize-path.js';
import { parseHostHeader } from '../policy/normalize-host.js';
import { readForwardAuthHeaders, targetFromForwardedHeaders, targetFromOriginalUrl } from '../proxy/forward-auth-target.js';
import { createIdentityHeaderBuilder } from '../proxy/identity-headers.js';
import { withIdentityToken } from '../identity/with-identity-token.js';
import { signInUrl, type GatewayContext } from './context.js';
import type { DecisionCounter } from './metrics.js';
import { createProtectedRequestDecider, originalUrl, type Outcome } from './protected-request.js';

export type AuthzFlavour = 'forward_auth' | 'auth_request';

/** Authelia's paths, so existing proxy configs port over. */
export const AUTHZ_PATHS: ReadonlyMap<string, AuthzFlavour> = new Map([
  ['/api/authz/forward-auth', 'forward_auth'],
  ['/api/authz/auth-request', 'auth_request'],
]);

export type AuthzHandler = (req: IncomingMessage, res: ServerResponse, flavour: AuthzFlavour, requestId: string) => void | Promise<void>;

/**
 * Forward-auth for proxies already in place, on node:http directly (it is on every request of
 * the sites behind them):
 * - /api/authz/forward-auth (Traefik forwardAuth, Caddy forward_auth): 200 / 302 / 403;
 * - /api/authz/auth-request (nginx auth_request): 200 / 401 (with Location) / 403.
 * Only registered proxies (trusted_proxies) may ask. Every failure answers 4xx/5xx.
 *
 * A request whose session is cached here is answered without a promise; one that needs the
 * store returns the promise of its answer.
 */
export function createAuthzHandler(ctx: GatewayContext): AuthzHandler {
  const flavours = (['forward_auth', 'auth_request'] as const).map((flavour) => {
    const counters = new Map<string, DecisionCounter>();
    const counter = (decision: string) => {
      let c = counters.get(decision);
      if (!c) counters.set(decision, (c = ctx.metrics.decisionCounter(flavour, decision)));
      return c;
    };
    return [flavour, { counter, decide: createProtectedRequestDecider(ctx, flavour) }] as const;
  });
  const byFlavour = new Map(flavours);
  const identityHeaders = createIdentityHeaderBuilder();

  return (req, res, flavour, requestId) => {
    const { counter, decide } = byFlavour.get(flavour)!;
    const answer = (status: number, decision: string, headers?: OutgoingHttpHeaders) => {
      counter(decision).inc();
      res.writeHead(status, headers ? { 'cache-control': 'no-store', 'content-length': 0, ...headers } : NO_CONTENT);
      res.end();
    };
    const peer = req.socket.remoteAddress ?? '';
    if (!ctx.isTrustedProxy(peer)) {
      ctx.logger.warn({ peer, flavour, requestId }, 'forward-auth request from an unregistered address refused');
      return answer(403, 'untrusted');
    }
    // Every copy of a repeated header on its own: a second, even empty, copy is refused.
    const headers = readForwardAuthHeaders(req.rawHeaders, flavour);
    const target = flavour === 'forward_auth' ? targetFromForwardedHeaders(headers) : targetFromOriginalUrl(headers);
    if (!target.ok) return answer(400, 'malformed');
    const host = parseHostHeader(target.host);
    const path = normalizePath(target.requestTarget);
    if (!host || !path.ok) return answer(400, 'malformed');
    const site = ctx.sites.match(host.hostname, host.port, path.matchPath);
    if (!site || site.url.protocol !== `${target.proto}:`) return answer(403, 'unknown_site');

    const respond = (outcome: Outcome): void | Promise<void> => {
      if (outcome.kind !== 'decided') return answer(outcome.kind === 'store-unavailable' ? 503 : 500, 'error');
      const { decision, session } = outcome.auth;
      switch (decision.kind) {
        case 'allow': {
          if (!session) return answer(200, 'allow');
          // The proxy passes the token on to the app (auth_request_set / authResponseHeaders).
          const headers = withIdentityToken(ctx.identityTokens, site, session, identityHeaders(session.user));
          if (!(headers instanceof Promise)) return answer(200, 'allow', headers);
          return headers.then(
            (signed) => answer(200, 'allow', signed),
            (error: unknown) => {
              ctx.logger.error({ err: error, requestId }, 'signing the identity token failed: refusing request');
              answer(500, 'error');
            },
          );
        }
        case 'deny':
          return answer(403, 'deny');
        default: {
          const location = signInUrl(ctx, originalUrl(site, path.path, path.query));
          if (flavour === 'auth_request') return answer(401, decision.kind, { location });
          const safe = target.method === 'GET' || target.method === 'HEAD';
          return answer(safe ? 302 : 303, decision.kind, { location });
        }
      }
    };
    const outcome = decide(
      req,
      { domain: host.hostname, matchPath: path.matchPath, method: target.method, caseInsensitivePaths: site.case_insensitive_paths },
      req.headers['x-forwarded-for'],
      requestId,
    );
    return outcome instanceof Promise ? outcome.then(respond) : respond(outcome);
  };
}

const NO_CONTENT: OutgoingHttpHeaders = Object.freeze({ 'cache-control': 'no-store', 'content-length': 0 });
