import type { IncomingMessage } from 'node:http';
import { StoreUnavailableError } from '../core/errors.js';
import { authorizeRequest, type Authorization } from '../gate/authorize-request.js';
import type { SiteConfig } from '../config/schema.js';
import type { GatewayContext } from './context.js';
import type { Route } from './metrics.js';

export type Outcome =
  | { kind: 'decided'; auth: Authorization; clientIp: string; viaTrustedProxy: boolean }
  | { kind: 'store-unavailable' }
  | { kind: 'error' };

/**
 * Session + policy for one protected request. Any failure is an outcome that callers turn
 * into 503/500: an error here can never fall through to "allow".
 */
export async function decideProtectedRequest(
  ctx: GatewayContext,
  req: IncomingMessage,
  target: { domain: string; matchPath: string; method: string },
  forwardedFor: string | string[] | undefined,
  options: { route: Route; requestId: string },
): Promise<Outcome> {
  const { route, requestId } = options;
  const started = performance.now();
  const client = ctx.clientAddress(req.socket.remoteAddress, forwardedFor);
  try {
    const auth = await authorizeRequest(
      { policy: ctx.policy, sessions: ctx.sessions, directory: ctx.directory, cookieName: ctx.config.session.cookie_name, now: ctx.clock.now },
      { domain: target.domain, path: target.matchPath, method: target.method, ip: client.ip },
      req.headers.cookie,
    );
    return { kind: 'decided', auth, clientIp: client.ip, viaTrustedProxy: client.viaTrustedProxy };
  } catch (error) {
    if (error instanceof StoreUnavailableError) {
      ctx.logger.warn({ err: error.message, requestId }, 'session store unavailable: refusing request');
      return { kind: 'store-unavailable' };
    }
    ctx.logger.error({ err: error, requestId }, 'authorization failed: refusing request');
    return { kind: 'error' };
  } finally {
    ctx.metrics.duration.observe({ route }, (performance.now() - started) / 1000);
  }
}

/** The URL the browser asked for, rebuilt from the site's public origin (never from headers). */
export function originalUrl(site: SiteConfig, path: string, query: string): string {
  return site.url.origin + path + (query ? `?${query}` : '');
}
