import express, { type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { hashToken } from '../core/random.js';
import { readSessionToken, serializeSessionCookie } from '../session/session-cookie.js';
import { enrollWebAuthn } from '../enrollment/enroll-factor.js';
import { completeSecondFactor, secondFactorBinding } from '../sign-in/complete-second-factor.js';
import { issueWebAuthnChallenge } from '../sign-in/issue-webauthn-challenge.js';
import { signIn } from '../sign-in/sign-in.js';
import { apiErrorCodeOf, createApiErrorHandler, sendApiError } from './api-errors.js';
import type { GatewayContext } from './context.js';
import { isSameOriginRequest, tokensMatch } from './csrf.js';
import { enrollmentStateOf, hasNoSecondFactor } from './methods-router.js';
import { clientIpOf, passwordlessAllowed, portalPath, portalSession, siteNameOf } from './portal-session.js';
import { sessionCookieOptions } from './portal-router.js';
import { challengeDepsOf, enrollDepsOf, requestMetaOf, secondFactorDepsOf, signInDepsOf } from './sign-in-deps.js';
import { browserOf, keepBrowserCookie } from './browser-cookie.js';

/**
 * WebAuthn ceremonies as JSON for the portal's script: registering a passkey or security key,
 * using one as the second factor, and signing in with a passkey alone — only where passwordless
 * is allowed for the sign-in's target (config and `rd`: policy/passwordless-sign-in.ts). Every
 * call must come from the portal's origin with the page's CSRF token in X-CSRF-Token; each
 * challenge is bound to the session (or, before sign-in, to the browser's CSRF cookie) and
 * single use. The use-cases do the rest: enrollment (sign-in/enroll-factor.ts), the second
 * factor (sign-in/complete-second-factor.ts) and the passkey sign-in (sign-in/sign-in.ts).
 */
export function createWebAuthnRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const json = express.json({ limit: 64 * 1024, strict: true });
  const service = ctx.webauthn;

  const ok = (res: Response, body: object) =>
    void res
      .status(200)
      .set('cache-control', 'no-store')
      .json({ ok: true, ...body });
  const setSession = (res: Response, token: string, rememberMe: boolean) => void res.append('set-cookie', serializeSessionCookie(token, sessionCookieOptions(ctx, rememberMe)));

  /** The caller's session (when signed in) after the origin and CSRF checks; undefined: answered already. */
  async function checkSignedIn(req: Request, res: Response) {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return void sendApiError(res, 'signed_out');
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !tokensMatch(req.headers['x-csrf-token'], signedIn.session.csrf)) return void sendApiError(res, 'csrf');
    return signedIn;
  }

  /** Before sign-in the browser's CSRF cookie is both the token to echo and the challenge binding. */
  function checkSignedOut(req: Request, res: Response): string | undefined {
    const cookie = parseCookies(req.headers.cookie ?? '')[ctx.portal.csrfCookieName];
    if (!isSameOriginRequest(req.headers, ctx.portal.origin) || !cookie || !tokensMatch(req.headers['x-csrf-token'], cookie)) return void sendApiError(res, 'csrf');
    return `browser:${hashToken(cookie)}`;
  }

  const bindingOf = (token: string) => secondFactorBinding(ctx.sessions, token)!;

  router.post('/api/webauthn/register/options', json, async (req, res) => {
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    if ((await enrollmentStateOf(ctx, req, signedIn.session)).decision.kind !== 'allowed') return sendApiError(res, 'fresh_factor_required');
    const { user } = signedIn.session;
    ok(res, { options: await service.registrationOptions({ username: user.username, displayName: user.displayName, binding: bindingOf(signedIn.token), now: ctx.clock.now() }) });
  });

  router.post('/api/webauthn/register/verify', json, async (req, res) => {
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    const state = await enrollmentStateOf(ctx, req, signedIn.session);
    if (state.decision.kind !== 'allowed') return sendApiError(res, 'fresh_factor_required');
    const name = typeof req.body?.name === 'string' && req.body.name.trim() ? req.body.name : 'Passkey';
    const input = { ...signedIn, firstFactor: hasNoSecondFactor(state), binding: bindingOf(signedIn.token), response: req.body?.response, name, ...requestMetaOf(ctx, req, res) };
    const result = await enrollWebAuthn(enrollDepsOf(ctx), input);
    if (!result.ok) return sendApiError(res, result.reason);
    if (result.token) setSession(res, result.token, result.session.rememberMe);
    // A first factor comes with recovery codes; this JSON answer cannot show them, the next page does.
    ok(res, { redirect: portalPath(ctx, result.firstFactor ? 'methods/recovery-codes/new' : 'methods?notice=webauthn_added') });
  });

  router.post('/api/webauthn/authenticate/options', json, async (req, res) => {
    if (req.body?.mode === 'passwordless') {
      const binding = checkSignedOut(req, res);
      if (!binding) return;
      // No challenge at all where a passkey alone cannot sign in: there is nothing to answer.
      if (!passwordlessAllowed(ctx, req, ctx.redirects.safeTarget(req.body?.rd))) return sendApiError(res, 'passwordless-not-allowed');
      const issued = await issueWebAuthnChallenge(challengeDepsOf(ctx), { binding, clientIp: clientIpOf(ctx, req) });
      return issued.ok ? ok(res, { options: issued.options }) : sendApiError(res, issued.reason);
    }
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    const issued = await issueWebAuthnChallenge(challengeDepsOf(ctx), {
      username: signedIn.session.user.username,
      binding: bindingOf(signedIn.token),
      clientIp: clientIpOf(ctx, req),
    });
    if (!issued.ok) return sendApiError(res, issued.reason);
    ok(res, { options: issued.options });
  });

  router.post('/api/webauthn/authenticate/verify', json, async (req, res) => {
    const rd = ctx.redirects.safeTarget(req.body?.rd);
    if (req.body?.mode === 'passwordless') return passwordless(req, res, rd);
    const signedIn = await checkSignedIn(req, res);
    if (!signedIn) return;
    const result = await completeSecondFactor(secondFactorDepsOf(ctx), {
      ...signedIn,
      factor: ctx.factors.webauthn,
      response: req.body?.response,
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
    });
    if (!result.ok && result.reason === 'throttled') return sendApiError(res, 'throttled');
    if (!result.ok && result.reason === 'expired') return sendApiError(res, 'signed_out');
    if (!result.ok) return sendApiError(res, apiErrorCodeOf(result.detail ?? result.reason, 'verification-failed'));
    setSession(res, result.token, result.session.rememberMe);
    ok(res, { redirect: rd ?? ctx.portal.url.href });
  });

  /** A passkey alone: who it is comes from the credential's user handle, never from the request. */
  async function passwordless(req: Request, res: Response, rd: string | undefined) {
    const binding = checkSignedOut(req, res);
    if (!binding) return;
    const result = await signIn(signInDepsOf(ctx), {
      method: 'passkey',
      response: req.body?.response,
      binding,
      allows: (who) => passwordlessAllowed(ctx, req, rd, who),
      rememberMe: false,
      previousToken: readSessionToken(req.headers.cookie, ctx.config.session.cookie_name),
      site: siteNameOf(ctx, rd),
      ...requestMetaOf(ctx, req, res),
      ...browserOf(ctx, req),
    });
    if (!result.ok && result.reason === 'passkey-refused') return sendApiError(res, result.detail);
    if (!result.ok) return sendApiError(res, result.reason === 'passwordless-not-allowed' ? result.reason : 'throttled');
    setSession(res, result.token, false);
    keepBrowserCookie(ctx, res, result.browserCookie);
    ok(res, { redirect: rd ?? ctx.portal.url.href });
  }

  router.use(createApiErrorHandler(ctx, 'webauthn'));

  return router;
}
