import express, { type Request, type Response } from 'express';
import { maskEmail } from '../enrollment/enrollment-email.js';
import { redeemEnrollmentGrant, removeDevice, renameDevice, sendEnrollmentEmail } from '../enrollment/manage-factors.js';
import { decideEnrollment } from '../enrollment/enrollment-policy.js';
import { driftSeconds } from '../factors/otp/totp-drift.js';
import { describeEnrollment, startTotpEnrollment } from '../factors/otp/enroll-totp.js';
import { confirmTotp } from '../enrollment/enroll-factor.js';
import { takeOwedRecoveryCodes } from '../factors/recovery/owed-recovery-codes.js';
import { serializeSessionCookie } from '../session/session-cookie.js';
import type { Session } from '../session/session.js';
import { renderEnrollmentGatePage, type EnrollmentGateError } from '../../client/views/enrollment-gate-page.js';
import { renderMethodsPage, type MethodsNotice } from '../../client/views/methods-page.js';
import { renderSmsNumberPage, type SmsNumberPageModel } from '../../client/views/sms-number-page.js';
import { confirmSmsNumber, removeSmsNumber, startSmsNumber } from '../enrollment/sms-number.js';
import { maskPhoneNumber } from '../factors/sms-otp/phone-number.js';
import { renderPushEnrollPage } from '../../client/views/push-enroll-page.js';
import { qrCodeSvg } from '../factors/otp/qr-code-svg.js';
import { renderTotpEnrollPage, type TotpEnrollError } from '../../client/views/totp-enroll-page.js';
import type { GatewayContext } from './context.js';
import { localeOf, sendErrorPage, sendPage } from './pages.js';
import { clientIpOf, isValidSessionPost, portalPath, portalSession, redirectToSignIn } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';
import { createRecoveryCodesRouter, hasOwedRecoveryCodes, showNewRecoveryCodes } from './recovery-codes-router.js';
import { emailDepsOf, enrollDepsOf, manageDepsOf, requestMetaOf } from './sign-in-deps.js';
import { FRESH_FACTOR_PARAM } from './second-factor-router.js';

const SMS_STATUS = { malformed: 400, invalid: 400, 'not-mobile': 400, country: 400, throttled: 429, cooldown: 429, 'rate-limited': 429 } as const;
const EMAIL_STATUS = { unavailable: 400, limited: 429, 'send-failed': 502 } as const;
const NOTICES = new Set<MethodsNotice>([
  'added',
  'renamed',
  'removed',
  'codes_created',
  'codes_regenerated',
  'needs_fresh_factor',
  'webauthn_added',
  'webauthn_renamed',
  'webauthn_removed',
  'push_added',
  'push_removed',
  'sms_added',
  'sms_removed',
]);

/**
 * "My sign-in methods": the list, adding an authenticator app, renaming, removing, recovery
 * codes — and the gate a user with no factor passes first, so a stolen password alone never
 * enrolls an attacker's device.
 */
export function createMethodsRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });
  const { second_factors: factorsConfig, enrollment } = ctx.config;

  const enrollmentState = (req: Request, session: Session) => enrollmentStateOf(ctx, req, session);

  function gate(req: Request, res: Response, session: Session, status: number, extra: { error?: EnrollmentGateError; sent?: boolean } = {}) {
    const { locale, t } = localeOf(req);
    const emailEnabled = enrollment.email_code.enabled && Boolean(ctx.mailer) && Boolean(session.user.email);
    sendPage(
      ctx,
      res,
      status,
      renderEnrollmentGatePage({
        t,
        locale,
        basePath: ctx.portal.basePath,
        assets: ctx.portal.assets,
        csrfToken: session.csrf,
        emailOption: { enabled: emailEnabled, maskedAddress: emailEnabled ? maskEmail(session.user.email) : null, sent: extra.sent ?? false },
        codeOption: enrollment.admin_link.enabled || enrollment.email_code.enabled,
        error: extra.error,
        redirectTarget: ctx.redirects.safeTarget(req.body?.rd ?? req.query.rd),
      }),
    );
  }

  async function methodsPage(req: Request, res: Response, session: Session, notice?: MethodsNotice) {
    const { devices, credentials, codes, remaining, decision } = await enrollmentState(req, session);
    const phoneCodeIds = new Set((await ctx.storage.pushDevices.listForUser(session.user.username)).map((p) => p.otpDeviceId));
    if (decision.kind === 'needs-proof') return gate(req, res, session, 200);
    const { locale, t } = localeOf(req);
    sendPage(
      ctx,
      res,
      200,
      renderMethodsPage({
        t,
        locale,
        basePath: ctx.portal.basePath,
        assets: ctx.portal.assets,
        csrfToken: session.csrf,
        user: { username: session.user.username, displayName: session.user.displayName },
        // A phone's offline codes are shown with the phone, not as a second authenticator app.
        devices: devices
          .filter((d) => !phoneCodeIds.has(d.id))
          .map((d) => ({
            id: d.id,
            kind: d.kind,
            name: d.name,
            serial: d.serial,
            createdAt: d.createdAt,
            lastUsedAt: d.lastUsedAt,
            driftSeconds: d.kind === 'totp' && d.driftSteps !== 0 ? driftSeconds(d.driftSteps, d.period) : null,
          })),
        recoveryCodes: { enabled: factorsConfig.recovery_codes.enabled, remaining, total: codes.length },
        canManage: decision.kind === 'allowed',
        confirmUrl: confirmUrlOf(ctx),
        totpEnabled: factorsConfig.totp.enabled,
        webauthn: {
          enabled: factorsConfig.webauthn.enabled,
          credentials: credentials.map((c) => ({
            id: c.id,
            name: c.name,
            authenticatorName: c.model,
            discoverable: c.discoverable,
            backupEligible: c.backupEligible,
            backedUp: c.backupState,
            createdAt: c.createdAt,
            lastUsedAt: c.lastUsedAt,
          })),
        },
        push: { enabled: Boolean(ctx.push), phones: ctx.push ? await ctx.push.factor.listDevices(session.user.username) : [] },
        ...(await smsModelOf(session.user.username)),
        notice,
        requiresSecondFactor: ctx.policy.rules.some((r) => r.policy === 'two_factor') || ctx.policy.defaultRule.policy === 'two_factor',
      }),
    );
  }

  /** The SMS section, with user_numbers only: the directory's number wins over the user's own. */
  async function smsModelOf(username: string): Promise<{ sms?: { masked: string | null; fromDirectory: boolean } }> {
    const numbers = ctx.sentCodes.sms_otp?.userNumbers;
    if (!numbers) return {};
    const directory = await numbers.directoryNumberOf(username);
    if (directory) return { sms: { masked: directory.masked, fromDirectory: true } };
    const own = await ctx.storage.smsNumbers.get(username);
    return { sms: { masked: own ? maskPhoneNumber(own.number) : null, fromDirectory: false } };
  }

  /** Adding one's own number for SMS codes: only with user_numbers, and only without the directory's or a stored one. */
  function smsNumberDeps() {
    const channel = ctx.sentCodes.sms_otp;
    if (!channel?.userNumbers) return undefined;
    return {
      channel: { ...channel, userNumbers: channel.userNumbers },
      numbers: ctx.storage.smsNumbers,
      sessions: ctx.sessions,
      regulator: ctx.regulator,
      audit: ctx.audit,
      now: ctx.clock.now,
    };
  }

  function smsNumberPage(req: Request, res: Response, session: Session, status: number, extra: Pick<SmsNumberPageModel, 'sent' | 'error' | 'written'> = {}) {
    const { locale, t } = localeOf(req);
    sendPage(ctx, res, status, renderSmsNumberPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, csrfToken: session.csrf, ...extra }));
  }

  /** Every change below needs a valid post and an enrollment decision of "allowed". */
  async function authorizeChange(req: Request, res: Response): Promise<{ token: string; session: Session } | undefined> {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return void redirectToSignIn(ctx, req, res);
    if (!isValidSessionPost(ctx, req, signedIn.session)) return void sendErrorPage(ctx, req, res, 'csrf.invalid');
    const { decision } = await enrollmentState(req, signedIn.session);
    if (decision.kind === 'needs-proof') return void gate(req, res, signedIn.session, 403);
    if (decision.kind === 'needs-fresh-factor') return void res.redirect(303, portalPath(ctx, 'methods?notice=needs_fresh_factor'));
    return signedIn;
  }

  router.get('/methods', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    // A first passkey or phone owes the recovery codes that a first authenticator app shows at once.
    const state = await enrollmentState(req, signedIn.session);
    if (state.decision.kind === 'allowed' && (await hasOwedRecoveryCodes(ctx, signedIn.session.user.username, state)))
      return void res.redirect(303, portalPath(ctx, 'methods/recovery-codes/new'));
    const notice = typeof req.query.notice === 'string' && NOTICES.has(req.query.notice as MethodsNotice) ? (req.query.notice as MethodsNotice) : undefined;
    await methodsPage(req, res, signedIn.session, notice);
  });

  router.post('/methods/totp/start', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    if (!factorsConfig.totp.enabled) return sendErrorPage(ctx, req, res, 'access.denied');
    const name = typeof req.body?.name === 'string' && req.body.name.trim() ? req.body.name.trim().slice(0, 64) : 'Authenticator app';
    const view = await startTotpEnrollment(ctx.storage, { username: allowed.session.user.username, name, config: factorsConfig.totp, now: ctx.clock.now() });
    enrollPage(req, res, allowed.session, view, 200);
  });

  function enrollPage(req: Request, res: Response, session: Session, view: Awaited<ReturnType<typeof describeEnrollment>>, status: number, error?: TotpEnrollError) {
    const { locale, t } = localeOf(req);
    const totp = factorsConfig.totp;
    sendPage(
      ctx,
      res,
      status,
      renderTotpEnrollPage({
        t,
        locale,
        basePath: ctx.portal.basePath,
        assets: ctx.portal.assets,
        csrfToken: session.csrf,
        deviceId: view.device.id,
        deviceName: view.device.name,
        qrDataUri: view.qrDataUri,
        secretGroups: view.secretGroups,
        issuer: totp.issuer,
        account: session.user.username,
        digits: view.device.digits,
        period: view.device.period,
        algorithm: view.device.algorithm,
        error,
      }),
      { oneTimeSecret: true },
    );
  }

  router.post('/methods/totp/confirm', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    const { session } = allowed;
    const firstFactor = hasNoSecondFactor(await enrollmentState(req, session));
    const result = await confirmTotp(enrollDepsOf(ctx), { ...allowed, firstFactor, deviceId: req.body?.device, code: req.body?.code, ...requestMetaOf(ctx, req, res) });
    if (!result.ok) return totpRefused(req, res, session, result.reason);
    if (result.token) res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    if (result.firstFactor) {
      await takeOwedRecoveryCodes(ctx.kv, session.user.username); // shown here and now: none are owed any more
      return showNewRecoveryCodes(ctx, req, res, session, { replaced: false, continueUrl: ctx.redirects.safeTarget(req.body?.rd) ?? portalPath(ctx, 'methods?notice=added') });
    }
    res.redirect(303, portalPath(ctx, 'methods?notice=added'));
  });

  /** A wrong or malformed first code shows the same QR code again; anything else goes back to the list. */
  async function totpRefused(req: Request, res: Response, session: Session, reason: string) {
    const pending = typeof req.body?.device === 'string' ? await ctx.storage.otpDevices.get(req.body.device) : undefined;
    if (reason === 'throttled' || reason === 'expired' || !pending || pending.username !== session.user.username || pending.confirmed) return methodsPage(req, res, session);
    const view = await describeEnrollment(pending, session.user.username, factorsConfig.totp.issuer);
    enrollPage(req, res, session, view, 400, reason === 'malformed' ? 'malformed' : 'invalid_code');
  }

  router.use(createRecoveryCodesRouter(ctx, { authorizeChange }));

  /** Rename and remove, for each list on the page: its path, the form field naming the device, and the notices. */
  const LISTS = [
    { list: 'otp', path: '/methods', field: 'device', renamed: 'renamed', removed: 'removed' },
    { list: 'webauthn', path: '/methods/webauthn', field: 'credential', renamed: 'webauthn_renamed', removed: 'webauthn_removed' },
    { list: 'push', path: '/methods/push', field: 'device', renamed: 'renamed', removed: 'push_removed' },
  ] as const;
  for (const { list, path, field, renamed, removed } of LISTS) {
    router.post(`${path}/rename`, form, async (req, res) => {
      const allowed = await authorizeChange(req, res);
      if (!allowed) return;
      const result = await renameDevice(manageDepsOf(ctx), { ...allowed, list, deviceId: req.body?.[field], name: req.body?.name, ...requestMetaOf(ctx, req, res) });
      if (!result.ok) return sendErrorPage(ctx, req, res, 'request.invalid');
      res.redirect(303, portalPath(ctx, `methods?notice=${renamed}`));
    });
    router.post(`${path}/remove`, form, async (req, res) => {
      const allowed = await authorizeChange(req, res);
      if (!allowed) return;
      const result = await removeDevice(manageDepsOf(ctx), { ...allowed, list, deviceId: req.body?.[field], ...requestMetaOf(ctx, req, res) });
      if (!result.ok) return sendErrorPage(ctx, req, res, 'request.invalid');
      res.redirect(303, portalPath(ctx, `methods?notice=${removed}`));
    });
  }

  router.get('/methods/sms/add', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    if (!smsNumberDeps()) return sendErrorPage(ctx, req, res, 'access.denied');
    const { decision } = await enrollmentState(req, signedIn.session);
    if (decision.kind !== 'allowed') return void res.redirect(303, portalPath(ctx, 'methods?notice=needs_fresh_factor'));
    smsNumberPage(req, res, signedIn.session, 200);
  });

  router.post('/methods/sms/add', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    const deps = smsNumberDeps();
    if (!deps) return sendErrorPage(ctx, req, res, 'access.denied');
    const { session } = allowed;
    // One number at a time: a stored one is removed first (with its own audit event and mail).
    if (await ctx.storage.smsNumbers.get(session.user.username)) return void res.redirect(303, portalPath(ctx, 'methods'));
    const result = await startSmsNumber(deps, { ...allowed, written: req.body?.number, site: ctx.portal.url.host, locale: localeOf(req).locale, ...requestMetaOf(ctx, req, res) });
    if (!result.ok) {
      if (result.reason === 'directory') return void res.redirect(303, portalPath(ctx, 'methods'));
      const written = typeof req.body?.number === 'string' ? req.body.number.slice(0, 32) : undefined;
      return smsNumberPage(req, res, session, SMS_STATUS[result.reason], { error: result.reason, ...(written ? { written } : {}) });
    }
    smsNumberPage(req, res, session, 200, { sent: { e164: result.e164, masked: result.masked, digits: factorsConfig.sms_otp.digits } });
  });

  router.post('/methods/sms/confirm', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    const deps = smsNumberDeps();
    if (!deps) return sendErrorPage(ctx, req, res, 'access.denied');
    const { session } = allowed;
    const result = await confirmSmsNumber(deps, { ...allowed, number: req.body?.number, code: req.body?.code, ...requestMetaOf(ctx, req, res) });
    if (result.ok) return void res.redirect(303, portalPath(ctx, 'methods?notice=sms_added'));
    if (result.reason === 'directory' || result.reason === 'has-number') return void res.redirect(303, portalPath(ctx, 'methods'));
    // The same code form again, for the number as the user's own form named it; a number that is no longer allowed starts over.
    const parsed = deps.channel.userNumbers.parse(typeof req.body?.number === 'string' ? req.body.number : '');
    const sent = parsed.ok ? { e164: parsed.e164, masked: maskPhoneNumber(parsed.e164), digits: factorsConfig.sms_otp.digits } : undefined;
    smsNumberPage(req, res, session, result.reason === 'throttled' ? 429 : 400, { error: result.reason, ...(sent ? { sent } : {}) });
  });

  router.post('/methods/sms/remove', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    const result = await removeSmsNumber({ numbers: ctx.storage.smsNumbers, sessions: ctx.sessions, audit: ctx.audit }, { ...allowed, ...requestMetaOf(ctx, req, res) });
    if (!result.ok) return sendErrorPage(ctx, req, res, 'request.invalid');
    res.redirect(303, portalPath(ctx, 'methods?notice=sms_removed'));
  });

  // "Add phone": the same gate as adding an authenticator app; the link is single use.
  router.post('/methods/push/add', form, async (req, res) => {
    const allowed = await authorizeChange(req, res);
    if (!allowed) return;
    if (!ctx.push) return sendErrorPage(ctx, req, res, 'access.denied');
    const { link } = await ctx.push.startEnrollment(allowed.session.user.username);
    const { locale, t } = localeOf(req);
    const qr = `data:image/svg+xml;base64,${Buffer.from(await qrCodeSvg(link)).toString('base64')}`;
    sendPage(
      ctx,
      res,
      200,
      renderPushEnrollPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, link, qrDataUri: qr, minutes: Math.round(ctx.push.config.enrollment_ttl / 60) }),
      { oneTimeSecret: true },
    );
  });

  router.post('/enroll/email', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session } = signedIn;
    if (!isValidSessionPost(ctx, req, session)) return gate(req, res, session, 403, { error: 'csrf' });
    if (!enrollment.email_code.enabled) return gate(req, res, session, 400, { error: 'email_failed' });
    const result = await sendEnrollmentEmail(emailDepsOf(ctx), { session, locale: localeOf(req).locale, ...requestMetaOf(ctx, req, res) });
    if (!result.ok) return gate(req, res, session, EMAIL_STATUS[result.reason], { error: 'email_failed' });
    gate(req, res, session, 200, { sent: true });
  });

  router.post('/enroll/code', form, async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const { session } = signedIn;
    if (!isValidSessionPost(ctx, req, session)) return gate(req, res, session, 403, { error: 'csrf' });
    const result = await redeemEnrollmentGrant(manageDepsOf(ctx), { ...signedIn, code: req.body?.code, ...requestMetaOf(ctx, req, res) });
    if (!result.ok) return gate(req, res, session, result.reason === 'throttled' ? 429 : 400, { error: result.reason === 'throttled' ? 'invalid' : result.reason });
    if (result.token) res.append('set-cookie', serializeSessionCookie(result.token, sessionCookieOptions(ctx, result.session.rememberMe)));
    res.redirect(303, portalPath(ctx, 'methods', ctx.redirects.safeTarget(req.body?.rd)));
  });

  return router;
}

/** A user's confirmed OTP devices (apps, tokens, phones' offline codes), passkeys and recovery codes. */
export async function factorsOf(ctx: GatewayContext, username: string) {
  const devices = (await ctx.storage.otpDevices.listForUser(username)).filter((d) => d.confirmed);
  const credentials = ctx.config.second_factors.webauthn.enabled ? await ctx.webauthn.listCredentials(username) : [];
  const codes = await ctx.storage.recoveryCodes.listForUser(username);
  return { devices, credentials, codes, remaining: codes.filter((c) => c.usedAt === null).length };
}

/** No app, token, passkey or unused recovery code yet: the next one added is the first (a phone counts through its offline-code app). */
export function hasNoSecondFactor(state: { devices: unknown[]; credentials: unknown[]; remaining: number }): boolean {
  return state.devices.length === 0 && state.credentials.length === 0 && state.remaining === 0;
}

/** A user's factors and whether this session may change them now. */
export async function enrollmentStateOf(ctx: GatewayContext, req: Request, session: Session) {
  const { devices, credentials, codes, remaining } = await factorsOf(ctx, session.user.username);
  const decision = decideEnrollment({
    session,
    hasFactors: devices.length > 0 || credentials.length > 0 || remaining > 0,
    now: ctx.clock.now(),
    freshFactorAgeSeconds: ctx.config.enrollment.fresh_factor_age,
    isTrustedNetwork: ctx.isEnrollmentNetwork(clientIpOf(ctx, req)),
  });
  return { devices, credentials, codes, remaining, decision };
}

/** "Confirm it's you": the second step, asked whatever the rule for the methods page says, then back here. */
export function confirmUrlOf(ctx: GatewayContext): string {
  const url = new URL(portalPath(ctx, 'second-factor', new URL('methods', ctx.portal.url).href), ctx.portal.origin);
  url.searchParams.set(FRESH_FACTOR_PARAM, '1');
  return url.pathname + url.search;
}
