import express, { type Request, type Response } from 'express';
import { SECOND_FACTORS } from '../config/schema.js';
import type { ApprovalRecord } from '../factors/push/push-approvals.js';
import type { PushService } from '../factors/push/push-service.js';
import { serializeSessionCookie } from '../session/session-cookie.js';
import { completeSecondFactor, secondFactorBinding, type SecondFactorFailure } from '../sign-in/complete-second-factor.js';
import type { Session } from '../session/session.js';
import { renderPushWaitPage, type PushProblem, type PushWaitPageModel } from '../../client/views/push-wait-page.js';
import { sendApiError } from './api-errors.js';
import type { GatewayContext } from './context.js';
import { localeOf, sendPage } from './pages.js';
import { decideFor, isValidSessionPost, portalSession, redirectToSignIn, siteNameOf } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';
import { requestMetaOf, secondFactorDepsOf } from './sign-in-deps.js';

const REQUEST_PROBLEMS = {
  'no-device': { problem: 'no_device', status: 400 },
  suspended: { problem: 'suspended', status: 403 },
  rate_limited: { problem: 'rate_limited', status: 429 },
  throttled: { problem: 'throttled', status: 429 },
  locked: { problem: 'throttled', status: 429 },
} as const satisfies Record<string, { problem: PushProblem; status: number }>;
const COMPLETE_PROBLEMS: Partial<Record<SecondFactorFailure, { problem: PushProblem; status: number }>> = {
  expired: { problem: 'expired', status: 410 },
  denied: { problem: 'denied', status: 401 },
  throttled: { problem: 'throttled', status: 429 },
  locked: { problem: 'throttled', status: 429 },
  pending: { problem: 'expired', status: 409 },
};

/**
 * The sign-in side of push approval: ask the phone, show the number, let the page poll, and
 * complete once — always for the session that asked.
 */
export function createPushSignInRouter(ctx: GatewayContext, push: PushService): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });

  function page(req: Request, res: Response, session: Session, status: number, extra: Pick<PushWaitPageModel, 'waiting' | 'problem' | 'redirectTarget'>) {
    const { locale, t } = localeOf(req);
    sendPage(ctx, res, status, renderPushWaitPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, csrfToken: session.csrf, ...extra }));
  }

  async function waiting(req: Request, res: Response, session: Session, status: number, record: ApprovalRecord, rd: string | undefined) {
    const device = await ctx.storage.pushDevices.get(record.deviceId);
    const secondsLeft = Math.max(0, Math.round((record.expiresAt - ctx.clock.now()) / 1000));
    page(req, res, session, status, { redirectTarget: rd, waiting: { approvalId: record.approvalId, number: record.number, secondsLeft, deviceName: device?.name ?? '' } });
  }

  function pushAllowed(req: Request, session: Session, rd: string | undefined): boolean {
    if (!rd) return true;
    const decision = decideFor(ctx, req, session, rd);
    return (decision.kind === 'step_up' ? decision.factors : SECOND_FACTORS).includes('push');
  }

  router.post('/second-factor/push', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { token, session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (!isValidSessionPost(ctx, req, session)) return page(req, res, session, 403, { problem: 'csrf', redirectTarget: rd });
    if (!pushAllowed(req, session, rd)) return page(req, res, session, 400, { problem: 'no_device', redirectTarget: rd });
    const site = rd ? new URL(rd).host : ctx.portal.url.host;
    const result = await push.request({
      username: session.user.username,
      deviceId: req.body?.device,
      sessionId: secondFactorBinding(ctx.sessions, token)!,
      site,
      ...requestMetaOf(ctx, req, res),
    });
    if (!result.ok) return page(req, res, session, REQUEST_PROBLEMS[result.reason].status, { problem: REQUEST_PROBLEMS[result.reason].problem, redirectTarget: rd });
    await waiting(req, res, session, 200, result.record, rd);
  });

  router.get('/second-factor/push/:approvalId', async (req, res) => {
    res.set('cache-control', 'no-store');
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return sendApiError(res, 'signed_out');
    const state = await push.status(String(req.params.approvalId), secondFactorBinding(ctx.sessions, signedIn.token));
    if (!state) return sendApiError(res, 'not_found');
    res.json({ state });
  });

  router.post('/second-factor/push/:approvalId/complete', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { token, session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (!isValidSessionPost(ctx, req, session)) return page(req, res, session, 403, { problem: 'csrf', redirectTarget: rd });
    const approvalId = String(req.params.approvalId);
    const result = await completeSecondFactor(secondFactorDepsOf(ctx), {
      token,
      session,
      factor: push.factor,
      response: approvalId,
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
    });
    if (!result.ok && result.reason === 'pending') {
      // Pressed before the phone answered (the page without its script): keep waiting.
      const record = await push.find(approvalId, secondFactorBinding(ctx.sessions, token));
      if (record) return waiting(req, res, session, 409, record, rd);
    }
    if (!result.ok) {
      const { problem, status } = COMPLETE_PROBLEMS[result.reason] ?? COMPLETE_PROBLEMS.expired!;
      return page(req, res, session, status, { problem, redirectTarget: rd });
    }
    res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    res.redirect(303, rd ?? ctx.portal.url.href);
  });

  return router;
}
