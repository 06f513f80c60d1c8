import express, { type Request, type Response } from 'express';
import { SECOND_FACTORS } from '../config/schema.js';
import type { SentCodeKind } from '../factors/sent-code/sent-code-factor.js';
import { serializeSessionCookie } from '../session/session-cookie.js';
import type { Session } from '../session/session.js';
import { completeSecondFactor, secondFactorBinding, type SecondFactorFailure } from '../sign-in/complete-second-factor.js';
import { sendSignInCode } from '../sign-in/send-sign-in-code.js';
import { renderSentCodePage, type SentCodeChannelName, type SentCodePageModel, type SentCodeProblem } from '../../client/views/sent-code-page.js';
import { sendApiError } from './api-errors.js';
import type { GatewayContext } from './context.js';
import { localeOf, sendPage } from './pages.js';
import { decideFor, isValidSessionPost, portalSession, redirectToSignIn, siteNameOf } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';
import type { SentCodeChannel } from './sent-code-services.js';
import { requestMetaOf, secondFactorDepsOf } from './sign-in-deps.js';

export const SENT_CODE_KINDS: Record<SentCodeChannelName, SentCodeKind> = { email: 'email_otp', sms: 'sms_otp' };

const VERIFY_PROBLEMS: Partial<Record<SecondFactorFailure, { problem: SentCodeProblem; status: number }>> = {
  'invalid-code': { problem: 'invalid_code', status: 401 },
  malformed: { problem: 'malformed', status: 400 },
  expired: { problem: 'expired', status: 401 },
  replayed: { problem: 'replayed', status: 401 },
  throttled: { problem: 'throttled', status: 429 },
  locked: { problem: 'throttled', status: 429 },
};

/**
 * Codes by email and SMS in the second step: send one for this sign-in (answered at once, the
 * delivery runs in the background), show how it stands, and complete with it — through the one
 * second-factor completion, bound to the session that asked.
 */
export function createSentCodeRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });

  /** The channel named in the path, if it is enabled and the target's rule accepts it. */
  function channelFor(req: Request, session: Session, rd: string | undefined): { name: SentCodeChannelName; channel: SentCodeChannel } | undefined {
    const name = String(req.params.channel);
    if (name !== 'email' && name !== 'sms') return undefined;
    const channel = ctx.sentCodes[SENT_CODE_KINDS[name]];
    if (!channel) return undefined;
    const decision = rd ? decideFor(ctx, req, session, rd) : undefined;
    const allowed = decision?.kind === 'step_up' ? decision.factors : SECOND_FACTORS;
    return allowed.includes(channel.factor.kind) ? { name, channel } : undefined;
  }

  async function page(
    req: Request,
    res: Response,
    token: string,
    session: Session,
    rd: string | undefined,
    status: number,
    found: { name: SentCodeChannelName; channel: SentCodeChannel },
    extra: Pick<SentCodePageModel, 'problem'> = {},
  ) {
    const { locale, t } = localeOf(req);
    const username = session.user.username;
    const binding = secondFactorBinding(ctx.sessions, token)!;
    const { factor } = found.channel;
    const [state, destination] = await Promise.all([factor.stateOf(username, binding), factor.destinationOf(username)]);
    const now = ctx.clock.now();
    const live = state && state.expiresAt > now ? state : undefined;
    const secondsToResend = live ? Math.max(0, Math.ceil((live.resendAt - now) / 1000)) : 0;
    const body = renderSentCodePage({
      t,
      locale,
      basePath: ctx.portal.basePath,
      assets: ctx.portal.assets,
      csrfToken: session.csrf,
      redirectTarget: rd,
      channel: found.name,
      masked: live?.masked ?? destination?.masked ?? '',
      ...(live ? { delivery: live.delivery, minutesLeft: Math.max(1, Math.ceil((live.expiresAt - now) / 60_000)) } : {}),
      secondsToResend,
      digits: ctx.config.second_factors[factor.kind].digits,
      ...(extra.problem ? { problem: extra.problem } : {}),
    });
    res.set('cache-control', 'no-store');
    sendPage(ctx, res, status, body);
  }

  const back = (rd: string | undefined) => (rd ? `?rd=${encodeURIComponent(rd)}` : '');

  router.get('/second-factor/code/:channel', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const rd = ctx.redirects.safeTarget(req.query.rd);
    const found = channelFor(req, signedIn.session, rd);
    if (!found) return void res.redirect(303, `${ctx.portal.basePath}second-factor${back(rd)}`);
    await page(req, res, signedIn.token, signedIn.session, rd, 200, found);
  });

  /** How the delivery of this sign-in's code stands, for static/sent-code.js: sending, sent, failed or none. */
  router.get('/second-factor/code/:channel/status', async (req, res) => {
    res.set('cache-control', 'no-store');
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return sendApiError(res, 'signed_out');
    const name = String(req.params.channel);
    const channel = name === 'email' || name === 'sms' ? ctx.sentCodes[SENT_CODE_KINDS[name]] : undefined;
    if (!channel) return sendApiError(res, 'not_found');
    const state = await channel.factor.stateOf(signedIn.session.user.username, secondFactorBinding(ctx.sessions, signedIn.token)!);
    res.json({ delivery: state && state.expiresAt > ctx.clock.now() ? state.delivery : 'none' });
  });

  router.post('/second-factor/code/:channel/send', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { token, session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    const found = channelFor(req, session, rd);
    if (!found) return void res.redirect(303, `${ctx.portal.basePath}second-factor${back(rd)}`);
    if (!isValidSessionPost(ctx, req, session)) return page(req, res, token, session, rd, 403, found, { problem: 'csrf' });
    const result = await sendSignInCode(
      { regulator: ctx.regulator, audit: ctx.audit, now: ctx.clock.now, deliver: found.channel.deliver },
      {
        factor: found.channel.factor,
        username: session.user.username,
        displayName: session.user.displayName,
        binding: secondFactorBinding(ctx.sessions, token)!,
        site: rd ? new URL(rd).host : ctx.portal.url.host,
        locale: localeOf(req).locale,
        ...requestMetaOf(ctx, req, res),
      },
    );
    // The delivery goes on in the background: the page shows "sending" until it ends.
    if (result.ok) return void res.redirect(303, `${ctx.portal.basePath}second-factor/code/${found.name}${back(rd)}`);
    if (result.reason === 'throttled') return page(req, res, token, session, rd, 429, found, { problem: 'throttled' });
    if (result.reason === 'no-destination') return page(req, res, token, session, rd, 400, found, { problem: 'no_destination' });
    return page(req, res, token, session, rd, 429, found, { problem: result.reason === 'cooldown' ? 'cooldown' : 'rate_limited' });
  });

  router.post('/second-factor/code/:channel', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { token, session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.body?.rd ?? req.query.rd);
    const found = channelFor(req, session, rd);
    if (!found) return void res.redirect(303, `${ctx.portal.basePath}second-factor${back(rd)}`);
    if (!isValidSessionPost(ctx, req, session)) return page(req, res, token, session, rd, 403, found, { problem: 'csrf' });
    const result = await completeSecondFactor(secondFactorDepsOf(ctx), {
      token,
      session,
      factor: found.channel.factor,
      response: req.body?.code,
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
    });
    if (!result.ok) {
      const { problem, status } = VERIFY_PROBLEMS[result.reason] ?? VERIFY_PROBLEMS['invalid-code']!;
      return page(req, res, token, session, rd, status, found, { problem });
    }
    res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    res.redirect(303, rd ?? ctx.portal.url.href);
  });

  return router;
}
