import express from 'express';
import { renderOwnSessionsPage, type OwnSessionsNotice } from '../../client/views/own-sessions-page.js';
import { serializeClearedSessionCookie } from '../session/session-cookie.js';
import { endOwnSession, listOwnSessions } from '../sign-in/own-sessions.js';
import type { GatewayContext } from './context.js';
import { localeOf, sendErrorPage, sendPage } from './pages.js';
import { sessionCookieOptions } from './portal-router.js';
import { isValidSessionPost, portalPath, portalSession, redirectToSignIn } from './portal-session.js';
import { requestMetaOf } from './sign-in-deps.js';

const NOTICES = new Set<OwnSessionsNotice>(['signed_out', 'already_gone']);

/** "Where you're signed in": the user's own live sessions, and signing out any one of them. */
export function createOwnSessionsRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 10 });

  router.get('/sessions', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session, token } = signedIn;
    const sessions = await listOwnSessions(ctx, { username: session.user.username, token });
    const { locale, t } = localeOf(req);
    const notice = typeof req.query.notice === 'string' && NOTICES.has(req.query.notice as OwnSessionsNotice) ? (req.query.notice as OwnSessionsNotice) : undefined;
    res.set('cache-control', 'no-store');
    sendPage(ctx, res, 200, renderOwnSessionsPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, csrfToken: session.csrf, sessions, notice }));
  });

  router.post('/sessions/sign-out', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session, token } = signedIn;
    if (!isValidSessionPost(ctx, req, session)) return sendErrorPage(ctx, req, res, 'csrf.invalid');
    const { clientIp, userAgent, requestId } = requestMetaOf(ctx, req, res);
    const result = await endOwnSession(ctx, { username: session.user.username, token, id: req.body?.session, clientIp, userAgent, requestId });
    if (!result.ok) return void res.redirect(303, portalPath(ctx, 'sessions?notice=already_gone'));
    if (result.current) {
      res.append('set-cookie', serializeClearedSessionCookie(sessionCookieOptions(ctx, false)));
      return void res.redirect(303, `${ctx.portal.basePath}logout`);
    }
    res.redirect(303, portalPath(ctx, 'sessions?notice=signed_out'));
  });

  return router;
}
