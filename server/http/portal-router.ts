import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { parse as parseCookies } from 'cookie';
import { randomToken } from '../core/random.js';
import { DirectoryUnavailableError, StoreUnavailableError } from '../core/errors.js';
import type { DirectoryState } from '../directory/directory.js';
import { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH } from '../directory/password-hash.js';
import { currentSession } from '../gate/authorize-request.js';
import { readSessionToken, serializeClearedSessionCookie, serializeSessionCookie } from '../session/session-cookie.js';
import type { Session } from '../session/session.js';
import { signIn } from '../sign-in/sign-in.js';
import { signOut } from '../sign-in/sign-out.js';
import type { GatewayContext } from './context.js';
import { isSameOriginRequest, tokensMatch } from './csrf.js';
import { localeOf, requestIdOf, sendErrorPage, sendPage } from './pages.js';
import { browserOf, keepBrowserCookie } from './browser-cookie.js';
import { decideFor, passwordlessAllowed, portalPath, siteNameOf } from './portal-session.js';
import { requestMetaOf, signInDepsOf } from './sign-in-deps.js';
import { renderHomePage } from '../../client/views/home-page.js';
import { renderSignInPage } from '../../client/views/sign-in-page.js';
import { renderSignOutPage } from '../../client/views/sign-out-page.js';
import { renderSignedOutPage } from '../../client/views/signed-out-page.js';
import type { SignInError } from '../../client/views/sign-in-page.js';

/** The page for each directory state: what the user can do about it. */
const STATE_ERRORS: Record<DirectoryState, SignInError> = {
  'password-expired': 'password_expired',
  'password-must-change': 'password_must_change',
  'account-disabled': 'account_disabled',
  'account-expired': 'account_expired',
};

const signInForm = z.object({
  username: z.string().trim().min(1).max(MAX_USERNAME_LENGTH),
  password: z
    .string()
    .min(1)
    .refine((p) => Buffer.byteLength(p) <= MAX_PASSWORD_BYTES),
  remember_me: z.literal('1').optional(),
  rd: z.string().optional(),
});

const signOutForm = z.object({ scope: z.enum(['here', 'everywhere']).default('here'), rd: z.string().optional() });

/** Sign-in, signed-in home and sign-out pages, mounted at the portal's base path. */
export function createPortalRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });
  const sessionDeps = { sessions: ctx.sessions, directory: ctx.directory, cookieName: ctx.config.session.cookie_name };
  const rememberMeDays = ctx.config.session.remember_me > 0 ? Math.round(ctx.config.session.remember_me / 86400) : undefined;
  const passwordChangeUrl = ctx.config.authentication.ldap?.password_change_url;

  /** The pre-sign-in CSRF token lives in its own cookie (`__Host-` under https: no sibling subdomain can set it). */
  function csrfCookie(req: Request, res: Response): string {
    const existing = parseCookies(req.headers.cookie ?? '')[ctx.portal.csrfCookieName];
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = randomToken();
    const secure = ctx.portal.https ? '; Secure' : '';
    res.append('set-cookie', `${ctx.portal.csrfCookieName}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`);
    return token;
  }

  function signInPage(req: Request, res: Response, status: number, extra: { error?: SignInError; username?: string; rd?: string }) {
    const { locale, t } = localeOf(req);
    const body = renderSignInPage({
      t,
      locale,
      basePath: ctx.portal.basePath,
      assets: ctx.portal.assets,
      csrfToken: csrfCookie(req, res),
      redirectTarget: extra.rd,
      username: extra.username,
      error: extra.error,
      rememberMeDays,
      passkeySignIn: passwordlessAllowed(ctx, req, extra.rd),
      ...(passwordChangeUrl ? { passwordChangeUrl } : {}),
    });
    sendPage(ctx, res, status, body);
  }

  async function sessionOf(req: Request): Promise<Session | null> {
    return currentSession(sessionDeps, req.headers.cookie);
  }

  router.get('/', async (req, res) => {
    const rd = ctx.redirects.safeTarget(req.query.rd);
    const session = await sessionOf(req);
    if (!session) return signInPage(req, res, 200, { rd });
    if (rd) return continueTo(req, res, session, rd);
    const { locale, t } = localeOf(req);
    const sites = ctx.sites.sites.filter((site) => decideFor(ctx, req, session, site.url.href).kind === 'allow').map((site) => ({ name: site.name, url: site.url.href }));
    sendPage(
      ctx,
      res,
      200,
      renderHomePage({
        t,
        locale,
        basePath: ctx.portal.basePath,
        assets: ctx.portal.assets,
        csrfToken: session.csrf,
        user: session.user,
        factors: session.factors,
        sessionStartedAt: session.createdAt,
        sites,
      }),
    );
  });

  /** Already signed in and sent here with a target: go on if the session now satisfies it. */
  function continueTo(req: Request, res: Response, session: Session, rd: string) {
    const decision = decideFor(ctx, req, session, rd);
    if (decision.kind === 'allow') return void res.redirect(302, rd);
    if (decision.kind === 'deny') return sendErrorPage(ctx, req, res, 'access.denied');
    if (decision.kind === 'login') return signInPage(req, res, 200, { rd, username: session.user.username });
    res.redirect(303, portalPath(ctx, 'second-factor', rd));
  }

  router.post('/login', form, async (req, res) => {
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !tokensMatch(req.body?.csrf, parseCookies(req.headers.cookie ?? '')[ctx.portal.csrfCookieName])) {
      return signInPage(req, res, 403, { error: 'csrf', rd });
    }
    const parsed = signInForm.safeParse(req.body);
    if (!parsed.success) return signInPage(req, res, 400, { error: 'invalid_credentials', rd });
    const { username, password, remember_me } = parsed.data;
    const result = await signIn(signInDepsOf(ctx), {
      method: 'password',
      username,
      password,
      rememberMe: remember_me === '1' && rememberMeDays !== undefined,
      previousToken: readSessionToken(req.headers.cookie, ctx.config.session.cookie_name),
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
      ...browserOf(ctx, req),
    });
    if (!result.ok && result.reason === 'address-throttled') return signInPage(req, res, 429, { error: 'throttled', username, rd });
    if (!result.ok && result.reason === 'account-state') return signInPage(req, res, 403, { error: STATE_ERRORS[result.state], username, rd });
    if (!result.ok && result.reason === 'busy') {
      // The caller's own lane of the hash queue is full (429), or the whole queue is (503): a moment's wait is enough.
      res.setHeader('retry-after', '1');
      return signInPage(req, res, result.scope === 'address' ? 429 : 503, { error: 'busy', username, rd });
    }
    if (!result.ok) return signInPage(req, res, 401, { error: 'invalid_credentials', username, rd });
    res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    keepBrowserCookie(ctx, res, result.browserCookie);
    // A target that needs a second factor goes through the second step first.
    if (rd && decideFor(ctx, req, result.session, rd).kind === 'step_up') return void res.redirect(303, portalPath(ctx, 'second-factor', rd));
    res.redirect(303, rd ?? ctx.portal.url.href);
  });

  router.get('/logout', async (req, res) => {
    const rd = ctx.redirects.safeTarget(req.query.rd);
    const session = await sessionOf(req);
    const { locale, t } = localeOf(req);
    if (!session) return sendPage(ctx, res, 200, renderSignedOutPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets }));
    sendPage(ctx, res, 200, renderSignOutPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, csrfToken: session.csrf, redirectTarget: rd }));
  });

  router.post('/logout', form, async (req, res) => {
    const token = readSessionToken(req.headers.cookie, ctx.config.session.cookie_name);
    const session = await sessionOf(req);
    const parsed = signOutForm.safeParse(req.body ?? {});
    if (!session || !token) return void res.redirect(303, `${ctx.portal.basePath}logout`);
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !tokensMatch(req.body?.csrf, session.csrf) || !parsed.success) {
      return sendErrorPage(ctx, req, res, 'csrf.invalid');
    }
    const clientIp = ctx.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']).ip;
    await signOut(
      { sessions: ctx.sessions, logger: ctx.logger, audit: ctx.audit },
      { token, session, scope: parsed.data.scope, clientIp, userAgent: req.headers['user-agent'], requestId: requestIdOf(res) },
    );
    res.append('set-cookie', serializeClearedSessionCookie(sessionCookieOptions(ctx, false)));
    res.redirect(303, ctx.redirects.safeTarget(parsed.data.rd) ?? `${ctx.portal.basePath}logout`);
  });

  router.use((error: unknown, req: Request, res: Response, next: (e?: unknown) => void) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (error instanceof DirectoryUnavailableError) {
      ctx.logger.warn({ err: error.message, path: req.path, requestId: requestIdOf(res) }, 'directory unavailable on the portal');
      if (req.path === '/login') return signInPage(req, res, 503, { error: 'directory_unavailable' });
      return sendErrorPage(ctx, req, res, 'directory.unavailable');
    }
    if (error instanceof StoreUnavailableError) {
      ctx.logger.warn({ err: error.message, path: req.path, requestId: requestIdOf(res) }, 'session store unavailable on the portal');
      if (req.path === '/login' || req.path === '/') return signInPage(req, res, 503, { error: 'store_unavailable' });
      return sendErrorPage(ctx, req, res, 'store.unavailable');
    }
    if (status === 413) return req.path === '/login' ? signInPage(req, res, 413, { error: 'too_large' }) : sendErrorPage(ctx, req, res, 'request.too_large');
    if (status && status >= 400 && status < 500) return sendErrorPage(ctx, req, res, 'request.invalid');
    next(error);
  });
  return router;
}

export function sessionCookieOptions(ctx: GatewayContext, rememberMe: boolean) {
  return {
    name: ctx.config.session.cookie_name,
    domain: ctx.config.session.domain,
    secure: ctx.portal.https,
    maxAgeSeconds: rememberMe ? ctx.config.session.remember_me : undefined,
  };
}
