import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizePath } from '../policy/normalize-path.js';
import { parseHostHeader } from '../policy/normalize-host.js';
import { createIdentityHeaderBuilder } from '../proxy/identity-headers.js';
import { refuseUpgrade } from '../proxy/refuse-upgrade.js';
import { checkWebSocketRequest } from '../proxy/websocket-handshake.js';
import { withIdentityToken } from '../identity/with-identity-token.js';
import type { GatewayContext } from './context.js';
import { signInUrl } from './context.js';
import { AUTHZ_PATHS, createAuthzHandler } from './authz-handler.js';
import type { DecisionCounter } from './metrics.js';
import { sendErrorPage } from './pages.js';
import { createProtectedRequestDecider, originalUrl, type Outcome } from './protected-request.js';
import type { SiteConfig } from '../config/schema.js';
import type { NormalizePathResult } from '../policy/normalize-path.js';

/** Paths the gateway answers on any host that is not a protected site (internal callers). */
const SERVICE_PATHS = new Set([...AUTHZ_PATHS.keys(), '/healthz', '/readyz', '/metrics', '/.well-known/jwks.json']);

/**
 * Liveness and readiness, answered by Gatehouse itself on every host, protected sites' included:
 * probes send whatever Host they have (Kubernetes the pod IP, a load balancer the site's name)
 * and a probe sent to sign in reads as "down". Only these exact paths, and only GET and HEAD:
 * every other request for a site goes through its policy as before, and none of these is ever
 * proxied, so this gives nobody a way past sign-in. It does hide an application's own
 * /healthz behind Gatehouse (README, Operations): probe the application directly.
 */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);
const isProbe = (method: string | undefined, path: string) => (method === 'GET' || method === 'HEAD') && PROBE_PATHS.has(path);

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The gateway's front door, on node:http directly: the hot path (proxied requests) never
 * enters express. Portal and service requests are handed to the express portal app.
 */
export function createGatewayHandler(ctx: GatewayContext, portalApp: RequestHandler) {
  const base = ctx.portal.basePath;

  const handleAuthz = createAuthzHandler(ctx);
  const identityHeaders = createIdentityHeaderBuilder();
  const decideProxied = createProtectedRequestDecider(ctx, 'proxy');
  const decisionCounters = new Map<string, DecisionCounter>();
  /** The proxy route's decision counter, bound once per decision kind. */
  function proxyDecisions(decision: string) {
    let counter = decisionCounters.get(decision);
    if (!counter) decisionCounters.set(decision, (counter = ctx.metrics.decisionCounter('proxy', decision)));
    return counter;
  }

  function route(req: IncomingMessage) {
    const path = normalizePath(req.url ?? '');
    // Before the Host is even read: a probe with a missing or odd Host is still a probe.
    if (path.ok && isProbe(req.method, path.path)) return { kind: 'portal' as const, path };
    const host = parseHostHeader(req.headers.host);
    if (!host) return { kind: 'bad-host' as const };
    if (!path.ok) return { kind: 'bad-path' as const };
    // The same rules as a site's (sites/site-table.ts): host, effective port, path prefix by whole segments.
    if (ctx.sites.isPortal(host.hostname, host.port, path.path)) return { kind: 'portal' as const, path };
    const site = ctx.sites.match(host.hostname, host.port, path.matchPath);
    if (site?.upstream) return { kind: 'site' as const, site, host, path };
    // Caddy's forward_auth keeps the site's Host: a site we do not proxy still reaches the service paths.
    if (!site?.upstream && SERVICE_PATHS.has(path.path)) return { kind: 'portal' as const, path };
    return { kind: 'unknown' as const };
  }

  /**
   * Returns a promise only when something is still to happen after it (a store read, the
   * upstream exchange); a request decided from the session cache is answered or handed to
   * the proxy without an extra promise.
   */
  function handleRequest(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const requestId = randomUUID();
    const r = route(req);
    switch (r.kind) {
      case 'bad-host':
        return sendErrorPage(ctx, req, res, 'request.host_invalid', requestId);
      case 'bad-path':
        return sendErrorPage(ctx, req, res, 'request.path_invalid', requestId);
      case 'unknown':
        return sendErrorPage(ctx, req, res, 'site.unknown', requestId);
      case 'portal': {
        // Forward-auth is on every request of the sites behind other proxies: no express for it.
        const authz = AUTHZ_PATHS.get(r.path.path.startsWith(base) ? r.path.path.slice(base.length - 1) : r.path.path);
        if (authz) return handleAuthz(req, res, authz, requestId);
        res.setHeader('x-request-id', requestId);
        // Express sees the normalized path: what we routed on is what it routes on.
        req.url = r.path.path + (r.path.query ? `?${r.path.query}` : '');
        return portalApp(req, res);
      }
    }
    const { site, host, path } = r;
    const outcome = decideProxied(
      req,
      { domain: host.hostname, matchPath: path.matchPath, method: req.method ?? 'GET', caseInsensitivePaths: site.case_insensitive_paths },
      req.headers['x-forwarded-for'],
      requestId,
    );
    return outcome instanceof Promise ? outcome.then((o) => forward(req, res, o, site, path, requestId)) : forward(req, res, outcome, site, path, requestId);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    outcome: Outcome,
    site: SiteConfig,
    path: Extract<NormalizePathResult, { ok: true }>,
    requestId: string,
  ): void | Promise<void> {
    if (outcome.kind !== 'decided') {
      proxyDecisions('error').inc();
      return sendErrorPage(ctx, req, res, outcome.kind === 'store-unavailable' ? 'store.unavailable' : 'internal', requestId);
    }
    const { decision, session } = outcome.auth;
    proxyDecisions(decision.kind).inc();
    if (decision.kind === 'allow') {
      const proxy = (identity: Record<string, string> | undefined) =>
        ctx.proxy.web(
          req,
          res,
          proxyContext(site, path, outcome, requestId, identity, (kind) =>
            sendErrorPage(ctx, req, res, kind === 'timeout' ? 'upstream.timeout' : 'upstream.unavailable', requestId),
          ),
        );
      const identity = session ? withIdentityToken(ctx.identityTokens, site, session, identityHeaders(session.user)) : undefined;
      // A cached token (the common case) adds no promise; one that fails to sign fails closed.
      return identity instanceof Promise ? identity.then(proxy, (error: unknown) => signingFailed(req, res, error, requestId)) : proxy(identity);
    }
    if (decision.kind === 'deny') return sendErrorPage(ctx, req, res, 'access.denied', requestId);
    // login or step-up: the portal takes it from here and sends the user back afterwards.
    const method = req.method ?? 'GET';
    const status = method === 'GET' || method === 'HEAD' ? 302 : 303;
    res.writeHead(status, { location: signInUrl(ctx, originalUrl(site, path.path, path.query)), 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  }

  function signingFailed(req: IncomingMessage, res: ServerResponse, error: unknown, requestId: string): void {
    ctx.logger.error({ err: error, requestId }, 'signing the identity token failed: refusing request');
    sendErrorPage(ctx, req, res, 'internal', requestId);
  }

  /**
   * WebSocket upgrades: the same decision as any request, then a tunnel. Every other Upgrade
   * (h2c, TLS, anything) is refused with 400 before any decision: once switched, the connection
   * would carry requests that no rule sees. It is not served as a plain request either: Node
   * has handed over the socket unparsed after the head, body included.
   */
  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const requestId = randomUUID();
    const handshake = checkWebSocketRequest(req);
    if (!handshake.ok) {
      ctx.logger.info({ requestId, reason: handshake.reason, upgrade: String(req.headers.upgrade).slice(0, 64) }, 'upgrade refused: not a WebSocket handshake');
      return refuseUpgrade(socket, handshake.status);
    }
    const r = route(req);
    if (r.kind !== 'site') return refuseUpgrade(socket, r.kind === 'unknown' ? 404 : 400);
    const { site, host, path } = r;
    const outcome = await decideProxied(
      req,
      { domain: host.hostname, matchPath: path.matchPath, method: req.method ?? 'GET', caseInsensitivePaths: site.case_insensitive_paths },
      req.headers['x-forwarded-for'],
      requestId,
    );
    if (outcome.kind !== 'decided') return refuseUpgrade(socket, outcome.kind === 'store-unavailable' ? 503 : 500);
    const { decision, session } = outcome.auth;
    proxyDecisions(decision.kind).inc();
    if (decision.kind !== 'allow') return refuseUpgrade(socket, decision.kind === 'deny' ? 403 : 401);
    const identity = session ? await withIdentityToken(ctx.identityTokens, site, session, identityHeaders(session.user)) : undefined;
    ctx.proxy.upgrade(
      req,
      socket,
      head,
      proxyContext(site, path, outcome, requestId, identity, (kind) => refuseUpgrade(socket, kind === 'timeout' ? 504 : 502)),
    );
  }

  return {
    handleRequest: (req: IncomingMessage, res: ServerResponse) => {
      const failed = (error: unknown) => {
        ctx.logger.error({ err: error }, 'unhandled error in request');
        sendErrorPage(ctx, req, res, 'internal');
      };
      try {
        handleRequest(req, res)?.catch(failed);
      } catch (error) {
        failed(error);
      }
    },
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      handleUpgrade(req, socket, head).catch((error) => {
        ctx.logger.error({ err: error }, 'unhandled error in upgrade');
        socket.destroy();
      });
    },
  };
}

/** What the reverse proxy needs to forward one allowed request (or upgrade). */
function proxyContext(
  site: SiteConfig,
  path: { path: string; query: string },
  client: { clientIp: string; viaTrustedProxy: boolean },
  requestId: string,
  identity: Record<string, string> | undefined,
  onError: (kind: 'unavailable' | 'timeout') => void,
) {
  return {
    site,
    path: path.path,
    query: path.query,
    clientIp: client.clientIp,
    viaTrustedProxy: client.viaTrustedProxy,
    proto: site.url.protocol === 'https:' ? ('https' as const) : ('http' as const),
    requestId,
    identity,
    onError,
  };
}
