import express, { type Request, type Response } from 'express';
import { isLocale } from '../../../client/i18n.js';
import { MAX_TOKEN_FILE_BYTES } from '../../tokens/imported-token.js';
import type { GatewayContext } from '../context.js';
import { LOCALE_COOKIE, localeOf, sendErrorPage } from '../pages.js';
import { isValidSessionPost, portalPath, portalSession, redirectToSignIn } from '../portal-session.js';
import { ADMIN_FRESH_FACTOR, FRESH_FACTOR_PARAM } from '../second-factor-router.js';
import { isSameOriginRequest } from '../csrf.js';
import { decideConsoleAccess } from './console-access.js';
import { CONSOLE_PAGES } from './console-pages.js';
import { CONSOLE_PATH, createConsoleKit, type ConsoleVisitor } from './console-kit.js';
import { isMultipartForm, readUploadForm } from './read-upload-form.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const YEAR_SECONDS = 365 * 86_400;
/** A token file (at most MAX_TOKEN_FILE_BYTES, 5 MB) and the form's few fields around it. */
export const UPLOAD_LIMIT = MAX_TOKEN_FILE_BYTES + 64 * 1024;

/**
 * The admin console at `{base}console/`: server-rendered pages for administrators and auditors.
 * Every request passes one check here before any page route runs, so a page added to
 * CONSOLE_PAGES cannot skip it: signed out → sign in and come back; outside admin.group and
 * admin.auditor_group → 403; a second factor older than admin.fresh_factor_age → the second step
 * and back; a change (any method but GET/HEAD) → the session's CSRF token from the portal's
 * origin, and the administrator role (an auditor is refused with 403); a file upload
 * (multipart/form-data) is read, within UPLOAD_LIMIT, only once the role and the origin are
 * known to be right, and its CSRF field is then checked like a form's. Pages call the same
 * use-cases as the admin API (server/admin), which write the audit event.
 */
export function createConsoleRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const kit = createConsoleKit(
    ctx,
    CONSOLE_PAGES.flatMap((p) => (p.nav ? [p.nav] : [])),
  );
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });

  router.use((req, res, next) => {
    res.set('cache-control', 'no-store');
    if (SAFE_METHODS.has(req.method) && isLocale(req.query.lang)) return chooseLanguage(req, res, req.query.lang);
    next();
  });

  router.use(form, async (req, res, next) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session } = signedIn;
    const access = decideConsoleAccess(session, {
      adminGroup: ctx.config.admin.group,
      auditorGroup: ctx.config.admin.auditor_group,
      now: ctx.clock.now(),
      freshFactorAgeSeconds: ctx.config.admin.fresh_factor_age,
      passwordless: ctx.policy.passwordless,
    });
    if (access.kind === 'forbidden') return sendErrorPage(ctx, req, res, 'console.forbidden');
    const safe = SAFE_METHODS.has(req.method);
    if (access.kind === 'needs-fresh-factor') return sendToSecondStep(req, res, safe);
    if (!safe && isMultipartForm(req.headers['content-type'])) {
      // An upload is read only for an administrator, and only from the portal's own pages: its
      // CSRF token is inside the body, so the role and the origin are checked before reading it.
      if (access.role !== 'admin') return sendErrorPage(ctx, req, res, 'console.read_only');
      if (!isSameOriginRequest(req.headers, ctx.portal.origin)) return sendErrorPage(ctx, req, res, 'csrf.invalid');
      const upload = await readUploadForm(req, UPLOAD_LIMIT);
      if (!upload.ok) return refuseUpload(req, res, upload.reason);
      req.body = upload.form.fields;
      res.locals.uploadedFile = upload.form.file;
    }
    if (!safe && !isValidSessionPost(ctx, req, session)) return sendErrorPage(ctx, req, res, 'csrf.invalid');
    if (!safe && access.role !== 'admin') return sendErrorPage(ctx, req, res, 'console.read_only');
    const visitor: ConsoleVisitor = { session, role: access.role, ...localeOf(req) };
    res.locals.consoleVisitor = visitor;
    next();
  });

  router.get('/', (_req, res) => res.redirect(303, kit.path(kit.nav[0]!.path)));
  // Page routers are mounted without a path: their routes carry the whole path under the console,
  // which is what the authorization table test enumerates.
  for (const page of CONSOLE_PAGES) router.use(page.create(kit));
  router.use((req, res) => sendErrorPage(ctx, req, res, 'route.not_found'));

  /**
   * Answered at once, the connection closed after the page and whatever is left of the body
   * discarded as it arrives (never held), so a browser still sending shows the page.
   */
  function refuseUpload(req: Request, res: Response, reason: 'too-large' | 'malformed') {
    res.set('connection', 'close');
    req.resume();
    sendErrorPage(ctx, req, res, reason === 'too-large' ? 'request.too_large' : 'request.invalid');
  }

  /** "Confirm it's you" with admin.fresh_factor_age, then back to the page asked for (a change goes back to the console's start). */
  function sendToSecondStep(req: Request, res: Response, safe: boolean) {
    const back = ctx.redirects.safeTarget(new URL(safe ? req.originalUrl : kit.path(''), ctx.portal.origin).href);
    const url = new URL(portalPath(ctx, 'second-factor', back), ctx.portal.origin);
    url.searchParams.set(FRESH_FACTOR_PARAM, ADMIN_FRESH_FACTOR);
    res.redirect(303, url.pathname + url.search);
  }

  /** The language switch: remembered in a cookie, then the same page again without the parameter. */
  function chooseLanguage(req: Request, res: Response, locale: string) {
    const secure = ctx.portal.url.protocol === 'https:' ? '; Secure' : '';
    res.append('set-cookie', `${LOCALE_COOKIE}=${locale}; Path=${ctx.portal.basePath}; Max-Age=${YEAR_SECONDS}; HttpOnly; SameSite=Lax${secure}`);
    const here = new URL(req.originalUrl, ctx.portal.origin);
    here.searchParams.delete('lang');
    // Only ever back to a console page of this portal.
    const back = here.origin === ctx.portal.origin && here.pathname.startsWith(kit.path('')) ? here.pathname + here.search : kit.path('');
    res.redirect(303, back);
  }

  return router;
}

export { CONSOLE_PATH };
