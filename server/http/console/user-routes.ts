import express, { type Request, type Response } from 'express';
import { renderEnrollmentCodePage } from '../../../client/views/console/enrollment-code-page.js';
import { renderUserPage, USER_NOTICES, type UserNotice } from '../../../client/views/console/user-page.js';
import { disableUser, enableUser, resetFactors, unlockUser } from '../../admin/account-actions.js';
import { issueEnrollmentLink } from '../../admin/issue-enrollment-link.js';
import { listUserAuditTrail, listUserFactors } from '../../admin/user-factors.js';
import { listUserSessions, revokeAllUserSessions, revokeUserSession } from '../../admin/user-sessions.js';
import { getUser } from '../../admin/user-status.js';
import { qrCodeSvg } from '../../factors/otp/qr-code-svg.js';
import { sendErrorPage } from '../pages.js';
import { actorOf, type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

const MAX_REASON = 200;
const name = (req: Request) => String(req.params.name ?? '');
const field = (req: Request, key: string) => (typeof req.body?.[key] === 'string' ? (req.body[key] as string) : '');

/**
 * A user's page — directory data, lock and disabling, second factors, live sessions, audit trail —
 * and what an administrator does from it. Each change is one use-case of server/admin (the admin
 * API calls the same ones; they write the audit event), then back to the page with a notice.
 */
export function createUserRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();
  const { admin } = kit;
  const userPath = (username: string, notice?: UserNotice) => kit.path(`users/${username}`) + (notice ? `?notice=${notice}` : '');

  /** An action's value: an unknown user is the console's 404 page; otherwise back to the user's page with its notice. */
  function done(req: Request, res: Response, result: { ok: true; username: string } | { ok: false; reason: string }, notice: UserNotice) {
    if (!result.ok && result.reason === 'unknown_user') return sendErrorPage(kit.ctx, req, res, 'console.unknown_user');
    res.redirect(303, userPath(result.ok ? result.username : name(req), notice));
  }

  router.get('/users/:name', async (req, res) => {
    const found = await getUser(admin, name(req));
    if (!found.ok) return sendErrorPage(kit.ctx, req, res, 'console.unknown_user');
    const { username } = found.user;
    const [factors, sessions, trail, lock] = await Promise.all([
      listUserFactors(admin, username),
      listUserSessions(admin, username),
      listUserAuditTrail(admin, username),
      admin.regulator.lockState(username),
    ]);
    if (!factors.ok || !sessions.ok || !trail.ok) return sendErrorPage(kit.ctx, req, res, 'console.unknown_user');
    const { t, locale, session, role } = visitorOf(res);
    const notice = typeof req.query.notice === 'string' && USER_NOTICES.includes(req.query.notice as UserNotice) ? (req.query.notice as UserNotice) : undefined;
    const body = renderUserPage({
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      csrfToken: session.csrf,
      canChange: role === 'admin',
      actionPath: (action) => kit.path(`users/${username}/${action}`),
      usersHref: kit.path('users'),
      user: found.user,
      recentFailures: lock.recentFailures,
      factors: factors.factors,
      recoveryCodes: factors.recoveryCodes,
      sessions: sessions.sessions,
      events: trail.events,
      enrollmentCodes: kit.ctx.config.enrollment.admin_link.enabled,
      notice,
    });
    sendConsolePage(kit, req, res, { current: 'users', title: found.user.displayName || username, body });
  });

  router.post('/users/:name/unlock', async (req, res) => {
    const result = await unlockUser(admin, actorOf(kit, req, res), name(req));
    done(req, res, result, result.ok && !result.wasLocked ? 'not_locked' : 'unlocked');
  });

  router.post('/users/:name/disable', async (req, res) => {
    const reason = field(req, 'reason').slice(0, MAX_REASON);
    done(req, res, await disableUser(admin, actorOf(kit, req, res), name(req), { reason }), 'disabled');
  });

  router.post('/users/:name/enable', async (req, res) => {
    const result = await enableUser(admin, actorOf(kit, req, res), name(req));
    done(req, res, result, result.ok && !result.wasDisabled ? 'not_disabled' : 'enabled');
  });

  router.post('/users/:name/reset-factors', async (req, res) => {
    done(req, res, await resetFactors(admin, actorOf(kit, req, res), name(req)), 'factors_reset');
  });

  router.post('/users/:name/sessions/revoke', async (req, res) => {
    const result = await revokeUserSession(admin, actorOf(kit, req, res), name(req), field(req, 'session'));
    done(req, res, result, result.ok ? 'session_revoked' : 'session_gone');
  });

  router.post('/users/:name/sessions/revoke-all', async (req, res) => {
    done(req, res, await revokeAllUserSessions(admin, actorOf(kit, req, res), name(req)), 'sessions_revoked');
  });

  // Shown once, in the answer to the post itself: never in a URL, never stored but as a hash.
  router.post('/users/:name/enrollment-code', async (req, res) => {
    const { admin_link } = kit.ctx.config.enrollment;
    const result = await issueEnrollmentLink(admin, actorOf(kit, req, res), name(req), { enabled: admin_link.enabled, ttlSeconds: admin_link.ttl, portalUrl: kit.ctx.portal.url });
    if (!result.ok)
      return done(req, res, result.reason === 'unknown_user' ? result : { ok: true, username: name(req) }, result.reason === 'user_disabled' ? 'code_user_disabled' : 'codes_off');
    const { t, locale } = visitorOf(res);
    const qr = `data:image/svg+xml;base64,${Buffer.from(await qrCodeSvg(result.link)).toString('base64')}`;
    const body = renderEnrollmentCodePage({
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      username: result.username,
      code: result.code,
      link: result.link,
      qrDataUri: qr,
      expiresAt: result.expiresAt,
      userHref: userPath(result.username),
    });
    sendConsolePage(kit, req, res, { current: 'users', title: t('console.code_title'), body, oneTimeSecret: true });
  });

  return router;
}
