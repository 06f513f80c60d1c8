import express, { type Request, type Response } from 'express';
import type { AuditKind } from '../audit/audit-event.js';
import { parse as parseCookies } from 'cookie';
import { hashToken } from '../core/random.js';
import { resolveUser } from '../directory/directory.js';
import { oweRecoveryCodes } from '../factors/recovery/owed-recovery-codes.js';
import { serializeSessionCookie } from '../session/session-cookie.js';
import type { FactorUse, Session } from '../session/session.js';
import type { GatewayContext } from './context.js';
import { isSameOriginRequest, tokensMatch } from './csrf.js';
import { enrollmentStateOf, hasNoSecondFactor } from './methods-router.js';
import { requestIdOf } from './pages.js';
import { clientIpOf, passwordlessAllowed, portalPath, portalSession } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';

type Mode = 'second-factor' | 'passwordless';

/**
 * WebAuthn ceremonies as JSON for the portal's script: registering a passkey or security key,
 * using one as the second factor, and signing in with a passkey alone — only where passwordless
 * is allowed for the sign-in's target (config and `rd`: policy/passwordless-sign-in.ts). Every
 * call must come from the portal's origin with the page's CSRF token in X-CSRF-Token; each
 * challenge is bound to the session (or, before sign-in, to the browser's CSRF cookie) and
 * single use.
 */
export function createWebAuthnRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const json = express.json({ limit: 64 * 1024, strict: true });
  const service = ctx.webauthn;

  const fail = (res: Response, status: number, error: string) => void res.status(status).set('cache-control', 'no-store').json({ ok: false, error });
  const ok = (res: Response, body: object) => void res.status(200).set('cache-control', 'no-store').json({ ok: true, ...body });

  /** The caller's session (when signed in) after the origin and CSRF checks; undefined: answered already. */
  async function checkSignedIn(req: Request, res: Response) {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return void fail(res, 401, 'signed-out');
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !tokensMatch(req.headers['x-csrf-token'], signedIn.session.csrf)) return void fail(res, 403, 'csrf');
    return signedIn;
  }

  /** Before sign-in the browser's CSRF cookie is both the token to echo and the challenge binding. */
  function checkSignedOut(req: Request, res: Response): string | undefined {
    const cookie = parseCookies(req.headers.cookie ?? '')[ctx.portal.csrfCookieName];
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !cookie || !tokensMatch(req.headers['x-csrf-token'], cookie)) return void fail(res, 403, 'csrf');
    return `browser:${hashToken(cookie)}`;
  }

  const sessionBinding = (token: string) => `session:${hashToken(token)}`;

  async function mayEnroll(req: Request, session: Session): Promise<boolean> {
    return (await enrollmentStateOf(ctx, req, session)).decision.kind === 'allowed';
  }

  function audit(event: AuditKind, req: Request, res: Response, fields: { username?: string; reason?: string; [field: string]: unknown }) {
    const { username, reason, ...details } = fields;
    return ctx.audit.record({ kind: event, subject: username, clientIp: clientIpOf(ctx, req), userAgent: req.headers['user-agent'], requestId: requestIdOf(res), reason, details });
  }

  router.post('/api/webauthn/register/options', json, async (req, res) => {
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    if (!(await mayEnroll(req, signedIn.session))) return fail(res, 403, 'needs-fresh-factor');
    const { user } = signedIn.session;
    const options = await service.registrationOptions({ username: user.username, displayName: user.displayName, binding: sessionBinding(signedIn.token), now: ctx.clock.now() });
    ok(res, { options });
  });

  router.post('/api/webauthn/register/verify', json, async (req, res) => {
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    const { session, token } = signedIn;
    const before = await enrollmentStateOf(ctx, req, session);
    if (before.decision.kind !== 'allowed') return fail(res, 403, 'needs-fresh-factor');
    const name = typeof req.body?.name === 'string' && req.body.name.trim() ? req.body.name : 'Passkey';
    const result = await service.verifyRegistration({ username: session.user.username, binding: sessionBinding(token), response: req.body?.response, name, now: ctx.clock.now() });
    if (!result.ok) {
      await audit('factor.enroll_refused', req, res, { username: session.user.username, kind: 'webauthn', reason: result.reason });
      return fail(res, 400, result.reason);
    }
    await audit('factor.enrolled', req, res, { username: session.user.username, kind: 'webauthn', device: result.credential.id, aaguid: result.credential.aaguid });
    // Registering proved possession: a fresh WebAuthn factor in this session, under a new id.
    const use: FactorUse = { kind: 'webauthn', at: ctx.clock.now(), device: result.credential.id, userVerified: result.credential.userVerified };
    const rotated = await ctx.sessions.rotate(token, (s) => ({ ...s, enrollmentAllowedUntil: undefined, factors: [...s.factors.filter((f) => f.kind !== 'webauthn'), use] }));
    if (rotated) res.append('set-cookie', serializeSessionCookie(rotated.token, sessionCookieOptions(ctx, rotated.session.rememberMe)));
    // A first factor comes with recovery codes; this JSON answer cannot show them, the next page does.
    if (hasNoSecondFactor(before) && ctx.config.second_factors.recovery_codes.enabled) {
      await oweRecoveryCodes(ctx.kv, session.user.username, 'webauthn');
      return ok(res, { redirect: portalPath(ctx, 'methods/recovery-codes/new') });
    }
    ok(res, { redirect: portalPath(ctx, 'methods?notice=webauthn_added') });
  });

  router.post('/api/webauthn/authenticate/options', json, async (req, res) => {
    const mode: Mode = req.body?.mode === 'passwordless' ? 'passwordless' : 'second-factor';
    if (mode === 'passwordless') {
      const binding = checkSignedOut(req, res);
      if (!binding) return;
      // No challenge at all where a passkey alone cannot sign in: there is nothing to answer.
      if (!passwordlessAllowed(ctx, req, ctx.redirects.safeTarget(req.body?.rd))) return fail(res, 403, 'passwordless-not-allowed');
      if (!(await ctx.regulator.check({ kind: 'webauthn', ip: clientIpOf(ctx, req) })).ok) return fail(res, 429, 'throttled');
      return ok(res, { options: await service.authenticationOptions({ binding, now: ctx.clock.now() }) });
    }
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    ok(res, { options: await service.authenticationOptions({ username: signedIn.session.user.username, binding: sessionBinding(signedIn.token), now: ctx.clock.now() }) });
  });

  router.post('/api/webauthn/authenticate/verify', json, async (req, res) => {
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (req.body?.mode === 'passwordless') return passwordless(req, res, rd);
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    const { session, token } = signedIn;
    const username = session.user.username;
    const attempt = { username, kind: 'webauthn' as const, ip: clientIpOf(ctx, req) };
    if (!(await ctx.regulator.check(attempt)).ok) return fail(res, 429, 'throttled');
    const result = await service.verifyAuthentication({ username, binding: sessionBinding(token), response: req.body?.response, now: ctx.clock.now() });
    if (!result.ok) {
      await ctx.regulator.recordFailure(attempt);
      await audit('second_factor.failure', req, res, { username, factor: 'webauthn', reason: result.reason });
      ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'failure' });
      return fail(res, 400, result.reason);
    }
    await ctx.regulator.recordSuccess(attempt);
    const use: FactorUse = { kind: 'webauthn', at: ctx.clock.now(), device: result.credential.id, userVerified: result.userVerified };
    const rotated = await ctx.sessions.rotate(token, (s) => ({ ...s, factors: [...s.factors.filter((f) => f.kind !== 'webauthn'), use] }));
    if (!rotated) return fail(res, 401, 'signed-out');
    res.append('set-cookie', serializeSessionCookie(rotated.token, sessionCookieOptions(ctx, rotated.session.rememberMe)));
    await ctx.storage.userState.setLastUsed(username, 'webauthn', result.credential.id);
    await audit('second_factor.success', req, res, { username, factor: 'webauthn', device: result.credential.id });
    ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'success' });
    ok(res, { redirect: rd ?? ctx.portal.url.href });
  });

  /** A passkey alone: who it is comes from the credential's user handle, never from the request. */
  async function passwordless(req: Request, res: Response, rd: string | undefined) {
    const binding = checkSignedOut(req, res);
    if (!binding) return;
    const ip = clientIpOf(ctx, req);
    if (!passwordlessAllowed(ctx, req, rd)) return refusePasswordless(req, res);
    if (!(await ctx.regulator.check({ kind: 'webauthn', ip })).ok) return fail(res, 429, 'throttled');
    const result = await service.verifyAuthentication({ binding, response: req.body?.response, now: ctx.clock.now() });
    // Asked of the directory itself (LDAP: a search), so a user disabled there has no passkey sign-in either.
    const user = result.ok ? await resolveUser(ctx.directory, result.username) : undefined;
    if (!result.ok || !user) {
      await ctx.regulator.recordFailure({ kind: 'webauthn', ip });
      await audit('sign_in.failure', req, res, { factor: 'webauthn', reason: result.ok ? 'unknown-user' : result.reason });
      ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'failure' });
      return fail(res, 400, result.ok ? 'unknown-credential' : result.reason);
    }
    // The passkey proved who it is; a locked or disabled account is still refused.
    if ((await ctx.regulator.isLocked(user.username)) || (await ctx.storage.accountStates.get(user.username))) {
      await audit('sign_in.failure', req, res, { username: user.username, factor: 'webauthn', reason: 'locked' });
      ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'failure' });
      return fail(res, 429, 'throttled');
    }
    // Exactly what happened: one passkey use, with the authenticator's UV flag.
    const use: FactorUse = { kind: 'webauthn', at: ctx.clock.now(), device: result.credential.id, userVerified: result.userVerified };
    // Decided again now that the passkey names its user: a rule with a subject may say otherwise for them.
    if (!passwordlessAllowed(ctx, req, rd, { user, use })) return refusePasswordless(req, res, user.username);
    const previous = await portalSession(ctx, req);
    if (previous) await ctx.sessions.destroy(previous.token);
    const created = await ctx.sessions.create({ user, factor: use, rememberMe: false });
    res.append('set-cookie', serializeSessionCookie(created.token, sessionCookieOptions(ctx, false)));
    await ctx.storage.userState.setLastUsed(user.username, 'webauthn', result.credential.id);
    await audit('sign_in.success', req, res, { username: user.username, factor: 'webauthn', passwordless: true, device: result.credential.id });
    ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'success' });
    ok(res, { redirect: rd ?? ctx.portal.url.href });
  }

  /** Passwordless is not allowed for this target (for this user): no session, and the same answer before and after the passkey. */
  async function refusePasswordless(req: Request, res: Response, username?: string) {
    await audit('sign_in.failure', req, res, { username, factor: 'webauthn', reason: 'passwordless-not-allowed' });
    ctx.metrics.signIns.inc({ factor: 'webauthn', result: 'failure' });
    fail(res, 403, 'passwordless-not-allowed');
  }

  // Body-parser refusals (malformed or oversized JSON) are the client's fault: JSON 4xx, not 500.
  router.use((error: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    const status = (error as { status?: number }).status;
    if (res.headersSent || !status || status < 400 || status >= 500) return next(error);
    fail(res, status === 413 ? 413 : 400, status === 413 ? 'too-large' : 'malformed');
  });

  return router;
}
