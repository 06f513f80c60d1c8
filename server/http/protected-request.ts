import type { IncomingMessage } from 'node:http';
import { StoreUnavailableError } from '../core/errors.js';
import { authorizeRequest, type Authorization } from '../gate/authorize-request.js';
import type { SiteConfig } from '../config/schema.js';
import type { GatewayContext } from './context.js';
import type { Route } from './metrics.js';

export type Outcome = { kind: 'decided'; auth: Authorization; clientIp: string; viaTrustedProxy: boolean } | { kind: 'store-unavailable' } | { kind: 'error' };

export type DecideProtectedRequest = (
  req: IncomingMessage,
  target: { domain: string; matchPath: string; method: string; caseInsensitivePaths: boolean },
  forwardedFor: string | string[] | undefined,
  requestId: string,
) => Outcome | Promise<Outcome>;

/**
 * Session + policy for the protected requests of one route. Any failure is an outcome that
 * callers turn into 503/500: an error here can never fall through to "allow".
 *
 * The outcome is a plain value when the session is cached here or absent (no promise on the
 * common path), a promise when the store had to be asked; callers handle both. The route's
 * metric is bound once, not looked up by label on every request.
 */
export function createProtectedRequestDecider(ctx: GatewayContext, route: Route): DecideProtectedRequest {
  const duration = ctx.metrics.duration.labels({ route });

  function failed(error: unknown, requestId: string, started: number): Outcome {
    duration.observe((performance.now() - started) / 1000);
    if (error instanceof StoreUnavailableError) {
      ctx.logger.warn({ err: error.message, requestId }, 'session store unavailable: refusing request');
      return { kind: 'store-unavailable' };
    }
    ctx.logger.error({ err: error, requestId }, 'authorization failed: refusing request');
    return { kind: 'error' };
  }

  return (req, target, forwardedFor, requestId) => {
    const started = performance.now();
    try {
      const client = ctx.clientAddress(req.socket.remoteAddress, forwardedFor);
      const decided = (auth: Authorization): Outcome => {
        duration.observe((performance.now() - started) / 1000);
        return { kind: 'decided', auth, clientIp: client.ip, viaTrustedProxy: client.viaTrustedProxy };
      };
      const auth = authorizeRequest(
        { policy: ctx.policy, sessions: ctx.sessions, directory: ctx.directory, cookieName: ctx.config.session.cookie_name, now: ctx.clock.now },
        { domain: target.domain, path: target.matchPath, method: target.method, ip: client.ip, caseInsensitivePaths: target.caseInsensitivePaths },
        req.headers.cookie,
      );
      if (auth instanceof Promise) return auth.then(decided, (error: unknown) => failed(error, requestId, started));
      return decided(auth);
    } catch (error) {
      return failed(error, requestId, started);
    }
  };
}

/** The URL the browser asked for, rebuilt from the site's public origin (never from headers). */
export function originalUrl(site: SiteConfig, path: string, query: string): string {
  return site.url.origin + path + (query ? `?${query}` : '');
}
