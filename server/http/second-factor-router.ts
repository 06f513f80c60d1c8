import express, { type Request, type Response } from 'express';
import { SECOND_FACTORS, type SecondFactorKind } from '../config/schema.js';
import { hasFreshSecondFactor } from '../enrollment/enrollment-policy.js';
import type { Factor } from '../factors/factor.js';
import { serializeSessionCookie } from '../session/session-cookie.js';
import type { Session } from '../session/session.js';
import { completeSecondFactor } from '../sign-in/complete-second-factor.js';
import { renderClockDriftPage } from '../../client/views/clock-drift-page.js';
import { renderSecondFactorPage, type SecondFactorDeviceChoice, type SecondFactorError, type SecondFactorReason } from '../../client/views/second-factor-page.js';
import { freshFactorUntil } from './admin-router.js';
import type { SentCodeChannelName } from '../../client/views/sent-code-page.js';
import type { GatewayContext } from './context.js';
import { SENT_CODE_KINDS } from './sent-code-router.js';
import { localeOf, sendPage } from './pages.js';
import { decideFor, isValidSessionPost, portalPath, portalSession, redirectToSignIn, siteNameOf } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';
import { requestMetaOf, secondFactorDepsOf } from './sign-in-deps.js';

/**
 * `second-factor?fresh=1`: ask for a second factor even when the target's rule is already met
 * (fresh within enrollment.fresh_factor_age); `fresh=admin`: the same within admin.fresh_factor_age,
 * for the admin console.
 */
export const FRESH_FACTOR_PARAM = 'fresh';
export const ADMIN_FRESH_FACTOR = 'admin';

const ERRORS: Record<string, { error: SecondFactorError; status: number }> = {
  'invalid-code': { error: 'invalid_code', status: 401 },
  'no-device': { error: 'invalid_code', status: 401 },
  replayed: { error: 'replayed', status: 401 },
  malformed: { error: 'malformed', status: 400 },
  throttled: { error: 'throttled', status: 429 },
  locked: { error: 'throttled', status: 429 },
  expired: { error: 'invalid_code', status: 401 },
};

/** The second sign-in step, after the password or when a rule asks again (step-up). */
export function createSecondFactorRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });

  /** Which second factors count for the target: the rule's list, or any. */
  function allowedKinds(req: Request, session: Session, rd: string | undefined): readonly SecondFactorKind[] {
    if (!rd) return SECOND_FACTORS;
    const decision = decideFor(ctx, req, session, rd);
    return decision.kind === 'step_up' ? decision.factors : SECOND_FACTORS;
  }

  async function render(
    req: Request,
    res: Response,
    session: Session,
    rd: string | undefined,
    status: number,
    extra: { error?: SecondFactorError; submittedWith?: 'device' | 'recovery'; reason?: SecondFactorReason } = {},
  ) {
    const kinds = allowedKinds(req, session, rd);
    const username = session.user.username;
    const devices = await codeDevicesOf(ctx, username, kinds);
    const webauthnAvailable = ctx.config.second_factors.webauthn.enabled && kinds.includes('webauthn') && (await ctx.factors.webauthn.listDevices(username)).length > 0;
    const recoveryCodesAllowed =
      ctx.config.second_factors.recovery_codes.enabled && kinds.includes('recovery_code') && (await ctx.factors.recovery_code.listDevices(username)).length > 0;
    // "Confirm it's you" before changing sign-in methods: a sent code does not count there.
    const sentCodes = extra.reason === 'stale' ? [] : await sentCodeOptionsOf(ctx, username, kinds);
    const state = await ctx.storage.userState.get(username);
    const pushDevices = ctx.push && kinds.includes('push') ? (await ctx.push.factor.listDevices(username)).map((d) => ({ id: d.id, name: d.name })) : [];
    const hasSecond = session.factors.some((f) => f.kind !== 'password');
    const { locale, t } = localeOf(req);
    const body = renderSecondFactorPage({
      t,
      locale,
      basePath: ctx.portal.basePath,
      assets: ctx.portal.assets,
      csrfToken: session.csrf,
      redirectTarget: rd,
      devices,
      selectedDeviceId: state?.lastDeviceId ?? undefined,
      lastFactorKind: state?.lastFactorKind ?? undefined,
      recoveryCodesAllowed,
      reason: !hasSecond ? 'sign_in' : 'step_up',
      webauthnAvailable,
      pushDevices,
      pushSuspended: ctx.push !== undefined && pushDevices.length > 0 && (await ctx.push.isSuspended(username)),
      sentCodes,
      setUpUrl: devices.length === 0 && !webauthnAvailable && sentCodes.length === 0 ? portalPath(ctx, 'methods', rd) : undefined,
      ...extra,
    });
    sendPage(ctx, res, status, body);
  }

  router.get('/second-factor', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.query.rd);
    // "Confirm it's you" before changing sign-in methods: the target's rule (the portal's own
    // pages are often one_factor) says nothing about it, only the age of the last second factor.
    const fresh = req.query[FRESH_FACTOR_PARAM];
    const confirming = fresh === '1' || fresh === ADMIN_FRESH_FACTOR;
    const now = ctx.clock.now();
    const satisfied =
      fresh === '1'
        ? hasFreshSecondFactor(session, now, ctx.config.enrollment.fresh_factor_age)
        : fresh === ADMIN_FRESH_FACTOR
          ? freshFactorUntil(session, now, ctx.config.admin.fresh_factor_age, ctx.policy.passwordless) !== null
          : true;
    if (rd && satisfied && decideFor(ctx, req, session, rd).kind === 'allow') return void res.redirect(302, rd);
    await render(req, res, session, rd, 200, confirming ? { reason: 'stale' } : {});
  });

  router.post('/second-factor', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { token, session } = signedIn;
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (!isValidSessionPost(ctx, req, session)) return render(req, res, session, rd, 403, { error: 'csrf' });
    const deviceField = req.body?.device;
    const submittedWith = deviceField === 'recovery' ? 'recovery' : 'device';
    const factor = await factorFor(ctx, session.user.username, deviceField);
    if (!factor || !allowedKinds(req, session, rd).includes(factor.kind)) return render(req, res, session, rd, 401, { error: 'invalid_code', submittedWith });

    const deviceId = factor.kind === 'recovery_code' ? undefined : deviceField;
    const result = await completeSecondFactor(secondFactorDepsOf(ctx), {
      token,
      session,
      factor,
      deviceId,
      response: req.body?.code,
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
    });
    if (!result.ok) {
      const mapped = ERRORS[result.reason] ?? ERRORS['invalid-code']!;
      return render(req, res, session, rd, mapped.status, { error: mapped.error, submittedWith });
    }
    res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    const next = rd ?? ctx.portal.url.href;
    if (result.warning) {
      const { locale, t } = localeOf(req);
      return sendPage(
        ctx,
        res,
        200,
        renderClockDriftPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, driftSeconds: result.warning.seconds, continueUrl: next }),
      );
    }
    res.redirect(303, next);
  });
  return router;
}

/**
 * The user's code devices this step accepts, each said for what it is: a phone's offline codes
 * (named after the phone, renamed or not), an app, or a TOTP or HOTP hardware token.
 */
async function codeDevicesOf(ctx: GatewayContext, username: string, kinds: readonly SecondFactorKind[]): Promise<SecondFactorDeviceChoice[]> {
  const phones = new Map((await ctx.storage.pushDevices.listForUser(username)).flatMap((p) => (p.otpDeviceId ? [[p.otpDeviceId, p.name] as const] : [])));
  const stored = new Map((await ctx.storage.otpDevices.listForUser(username)).map((d) => [d.id, d]));
  const devices: SecondFactorDeviceChoice[] = [];
  for (const kind of ['totp', 'hotp'] as const) {
    if (!kinds.includes(kind)) continue;
    for (const listed of await ctx.factors[kind].listDevices(username)) {
      const device = stored.get(listed.id);
      const phone = phones.get(listed.id);
      devices.push({
        id: listed.id,
        kind,
        name: phone ?? listed.name,
        lastUsedAt: listed.lastUsedAt,
        serial: device?.serial ?? null,
        digits: device?.digits,
        phoneApp: phone !== undefined,
      });
    }
  }
  return devices;
}

/** Email and SMS codes this step accepts, for users with an address or number to send them to. */
async function sentCodeOptionsOf(ctx: GatewayContext, username: string, kinds: readonly SecondFactorKind[]): Promise<Array<{ channel: SentCodeChannelName; masked: string }>> {
  const options: Array<{ channel: SentCodeChannelName; masked: string }> = [];
  for (const channel of ['email', 'sms'] as const) {
    const found = ctx.sentCodes[SENT_CODE_KINDS[channel]];
    if (!found || !kinds.includes(found.factor.kind)) continue;
    const destination = await found.factor.destinationOf(username);
    if (destination) options.push({ channel, masked: destination.masked });
  }
  return options;
}

/** The factor a submitted `device` field names: "recovery", or one of the user's OTP devices. */
async function factorFor(ctx: GatewayContext, username: string, device: unknown): Promise<Factor | undefined> {
  if (device === 'recovery') return ctx.config.second_factors.recovery_codes.enabled ? ctx.factors.recovery_code : undefined;
  if (typeof device !== 'string' || device.length > 64) return undefined;
  const found = await ctx.storage.otpDevices.get(device);
  return found && found.username === username && found.confirmed ? ctx.factors[found.kind] : undefined;
}
