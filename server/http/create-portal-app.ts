import express, { type Request, type Response } from 'express';
import { isAppError } from '../core/errors.js';
import type { GatewayContext } from './context.js';
import { ADMIN_API_PATH, createAdminRouter } from './admin-router.js';
import { createCompanionRouter } from './companion-router.js';
import { CONSOLE_PATH, createConsoleRouter } from './console/console-router.js';
import { createOpsRouter } from './ops-router.js';
import { sendErrorPage } from './pages.js';
import { createMethodsRouter } from './methods-router.js';
import { createOwnSessionsRouter } from './own-sessions-router.js';
import { createPortalRouter } from './portal-router.js';
import { createSecondFactorRouter } from './second-factor-router.js';
import { createSentCodeRouter } from './sent-code-router.js';
import { createWebAuthnRouter } from './webauthn-router.js';
import { createPushApiRouter } from './push-api-router.js';
import { createPushSignInRouter } from './push-sign-in-router.js';
import { REFERRER_POLICY } from './security-headers.js';
import { sendStaticFile } from './send-static-file.js';

/**
 * The express app behind the gateway handler: the portal at its base path, and the service
 * routes (health, metrics) both there and at the root for internal callers. Forward-auth is
 * answered before express, by the gateway handler.
 */
export function createPortalApp(ctx: GatewayContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Every answer, not only pages: a redirect's policy governs the request that follows it.
  app.use((_req: Request, res: Response, next: () => void) => {
    res.setHeader('referrer-policy', REFERRER_POLICY);
    next();
  });

  const service = express.Router();
  service.use(createOpsRouter(ctx));

  const portal = express.Router();
  // The built bundles, stylesheets and source maps (client/assets), from memory: only the files
  // the build listed exist here, so no request path ever reaches the file system.
  portal.get('/static/:file', (req: Request, res: Response, next: () => void) => {
    const file = ctx.portal.staticFiles.get(req.params.file as string);
    if (!file) return next();
    sendStaticFile(req, res, file);
  });
  portal.use(createCompanionRouter(ctx));
  portal.use(`/${ADMIN_API_PATH}`, createAdminRouter(ctx));
  portal.use(`/${CONSOLE_PATH}`, createConsoleRouter(ctx));
  portal.use(service);
  // Turned off means not there (404), not "refused": no challenge is ever issued.
  if (ctx.config.second_factors.webauthn.enabled) portal.use(createWebAuthnRouter(ctx));
  if (ctx.push) portal.use('/api/push/v1', createPushApiRouter(ctx, ctx.push));
  if (ctx.push) portal.use(createPushSignInRouter(ctx, ctx.push));
  portal.use(createSentCodeRouter(ctx));
  portal.use(createSecondFactorRouter(ctx));
  portal.use(createMethodsRouter(ctx));
  portal.use(createOwnSessionsRouter(ctx));
  portal.use(createPortalRouter(ctx));

  app.use(ctx.portal.basePath, portal);
  app.use(service);
  app.use((req: Request, res: Response) => sendErrorPage(ctx, req, res, 'route.not_found'));
  app.use((error: unknown, req: Request, res: Response, _next: unknown) => {
    const status = (error as { status?: number }).status;
    if (status === 404) return sendErrorPage(ctx, req, res, 'route.not_found');
    if (status === 413) return sendErrorPage(ctx, req, res, 'request.too_large');
    if (status && status >= 400 && status < 500) return sendErrorPage(ctx, req, res, 'request.invalid');
    // An outage below (Redis, the LDAP directory) has its own page and status: 503, not 500.
    if (isAppError(error) && error.status === 503) {
      ctx.logger.warn({ err: error.message, path: req.path, requestId: res.getHeader('x-request-id') }, 'portal request failed on an outage');
      return sendErrorPage(ctx, req, res, error.code);
    }
    ctx.logger.error({ err: error, path: req.path, requestId: res.getHeader('x-request-id') }, 'portal error');
    sendErrorPage(ctx, req, res, 'internal');
  });
  return app;
}
