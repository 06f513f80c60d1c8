import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { normalizePeerAddress } from './client-address.js';
import { ForwardingHandler } from './forwarding-handler.js';
import { canonicalHeaderName, upstreamRequestHeaders } from './identity-headers.js';
import type { ProxyContext } from './proxy-context.js';
import { refuseUpgrade } from './refuse-upgrade.js';
import { UpgradeHandler } from './upgrade-handler.js';
import { checkWebSocketRequest } from './websocket-handshake.js';
import { createUpstreamRoute, type UpstreamRoute } from './upstream-route.js';

export type { ProxyContext, UpstreamFailure } from './proxy-context.js';

export interface ReverseProxy {
  /** Forwards one allowed request; resolves when the response is done or has failed (never rejects for upstream faults). */
  web(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext): Promise<void>;
  /**
   * Forwards one WebSocket upgrade and joins the sockets. Any other Upgrade, or a WebSocket
   * handshake that is not well formed, is refused (400/426) and nothing reaches the upstream.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: ProxyContext): void;
  /** Closes the pools (after their in-flight requests) and every open tunnel. */
  close(): Promise<void>;
}

/** Longest we wait for a TCP (and TLS) connection, whatever the site's response timeout. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;
/** Methods that may be resent once when a kept-alive connection turns out to be dead. */
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

type DispatchOptions = Dispatcher.DispatchOptions & { servername?: string };

/**
 * The reverse proxy: one undici Pool per upstream origin (keep-alive, no pipelining), requests
 * and responses streamed both ways. No body is buffered and nothing is parsed beyond headers,
 * so a proxied request costs one pooled hop to the upstream.
 */
export function createReverseProxy(
  deps: { logger: Logger },
  options: { sites: readonly SiteConfig[]; cookieName: string; connections?: number; strippedHeaders?: readonly string[] },
): ReverseProxy {
  const { logger } = deps;
  const routes = new WeakMap<SiteConfig, UpstreamRoute>();
  const pools = new Map<string, Pool>();
  const tunnels = new Set<Duplex>();
  const stripped = options.strippedHeaders?.length ? new Set(options.strippedHeaders.map(canonicalHeaderName)) : undefined;

  function poolFor(route: UpstreamRoute): Pool {
    let pool = pools.get(route.origin);
    if (!pool) {
      const connectTimeout = route.headersTimeoutMs > 0 ? Math.min(route.headersTimeoutMs, MAX_CONNECT_TIMEOUT_MS) : MAX_CONNECT_TIMEOUT_MS;
      pool = new Pool(route.origin, { connections: options.connections ?? null, pipelining: 1, connect: { timeout: connectTimeout } });
      pools.set(route.origin, pool);
    }
    return pool;
  }

  function routeFor(site: SiteConfig): UpstreamRoute {
    let route = routes.get(site);
    if (!route) {
      route = createUpstreamRoute(site);
      routes.set(site, route);
      poolFor(route);
    }
    return route;
  }

  // Pools for all configured upstreams exist from the start; a site object that was not in
  // options.sites (a reloaded config) gets its route and pool on first use.
  for (const site of options.sites) if (site.upstream) routeFor(site);

  function dispatchOptions(req: IncomingMessage, ctx: ProxyContext, route: UpstreamRoute): DispatchOptions {
    const headers = upstreamRequestHeaders(req.headers, {
      cookieName: options.cookieName,
      host: ctx.site.preserve_host ? (req.headers.host ?? route.publicHost) : route.upstreamHost,
      peer: normalizePeerAddress(req.socket.remoteAddress),
      clientIp: ctx.clientIp,
      viaTrustedProxy: ctx.viaTrustedProxy,
      proto: ctx.proto,
      forwardedHost: route.publicHost,
      forwardedPort: route.publicPort,
      requestId: ctx.requestId,
      ...(ctx.identity ? { identity: ctx.identity } : {}),
      ...(stripped ? { stripped } : {}),
    });
    const dispatch: DispatchOptions = {
      path: route.mapPath(ctx.path, ctx.query),
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      headersTimeout: route.headersTimeoutMs,
    };
    if (route.servername !== undefined) dispatch.servername = route.servername;
    return dispatch;
  }

  return {
    async web(req, res, ctx) {
      const route = routeFor(ctx.site);
      const pool = poolFor(route);
      const dispatch = dispatchOptions(req, ctx, route);
      // A body is whatever the client framed as one; undici sends it with the same
      // Content-Length, or chunked, as it arrives, when the client sent it chunked (one that has
      // all arrived by then goes with its length: Transfer-Encoding is hop-by-hop).
      const length = req.headers['content-length'];
      const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
      if (hasBody) dispatch.body = req;
      const retries = !hasBody && RETRYABLE.has(dispatch.method) ? 1 : 0;
      await new Promise<void>((resolve) => {
        const handler = new ForwardingHandler(res, ctx, {
          logger,
          cookieName: options.cookieName,
          dispatch: (h) => pool.dispatch(dispatch, h),
          retries,
          done: resolve,
        });
        handler.start();
      });
    },

    upgrade(req, socket, head, ctx) {
      try {
        // The gateway checks this before deciding; checked again here because a tunnel to
        // anything but a WebSocket server would carry requests no policy has seen.
        const handshake = checkWebSocketRequest(req);
        if (!handshake.ok) {
          logger.warn({ site: ctx.site.name, requestId: ctx.requestId, reason: handshake.reason }, 'upgrade refused: not a WebSocket handshake');
          refuseUpgrade(socket, handshake.status);
          return;
        }
        const route = routeFor(ctx.site);
        const dispatch: DispatchOptions = { ...dispatchOptions(req, ctx, route), upgrade: 'websocket' };
        const handler = new UpgradeHandler(socket, head, ctx, { logger, cookieName: options.cookieName, tunnels, webSocketKey: handshake.key });
        poolFor(route).dispatch(dispatch, handler);
      } catch (error) {
        logger.error({ err: error, site: ctx.site.name, requestId: ctx.requestId }, 'proxying an upgrade failed');
        socket.destroy();
      }
    },

    async close() {
      for (const socket of tunnels) socket.destroy();
      tunnels.clear();
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}
