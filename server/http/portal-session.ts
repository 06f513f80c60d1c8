import type { Request, Response } from 'express';
import { currentSession } from '../gate/authorize-request.js';
import { evaluateAccess } from '../policy/evaluate-access.js';
import { allowsPasswordless, mayOfferPasswordless } from '../policy/passwordless-sign-in.js';
import { normalizePath } from '../policy/normalize-path.js';
import type { AccessTarget } from '../policy/types.js';
import { readSessionToken } from '../session/session-cookie.js';
import type { FactorUse, Session, SessionUser } from '../session/session.js';
import type { GatewayContext } from './context.js';
import { isSameOriginRequest, tokensMatch } from './csrf.js';

/** The signed-in session of a portal request, with its token; null when signed out. */
export async function portalSession(ctx: GatewayContext, req: Request): Promise<{ token: string; session: Session } | null> {
  const token = readSessionToken(req.headers.cookie, ctx.config.session.cookie_name);
  if (!token) return null;
  const session = await currentSession({ sessions: ctx.sessions, directory: ctx.directory, cookieName: ctx.config.session.cookie_name }, req.headers.cookie);
  return session ? { token, session } : null;
}

/** A state-changing portal post from a signed-in page: same origin and the session's token. */
export function isValidSessionPost(ctx: GatewayContext, req: Request, session: Session): boolean {
  return isSameOriginRequest(req.headers, ctx.portal.origin) && tokensMatch(req.body?.csrf, session.csrf);
}

export function clientIpOf(ctx: GatewayContext, req: Request): string {
  return ctx.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']).ip;
}

/** The configured site a sign-in is for (its `rd`), for the audit log; undefined for the portal itself. */
export function siteNameOf(ctx: GatewayContext, target: string | undefined): string | undefined {
  if (!target) return undefined;
  try {
    const url = new URL(target);
    return ctx.sites.match(url.hostname, url.port ? Number(url.port) : undefined, url.pathname)?.name;
  } catch {
    return undefined;
  }
}

/** What the policy says of `target` (an absolute URL already checked as safe) for this session. */
export function decideFor(ctx: GatewayContext, req: Request, session: Session, target: string) {
  const access = accessTargetOf(ctx, req, target);
  if (!access) return { kind: 'deny' as const, rule: 'default' as const };
  const subject = { username: session.user.username, groups: session.user.groups, factors: session.factors };
  return evaluateAccess(ctx.policy, access, subject, ctx.clock.now());
}

/** `target` (an absolute URL already checked as safe) as the policy sees a browser's GET of it; null when its path cannot be normalized. */
export function accessTargetOf(ctx: GatewayContext, req: Request, target: string): AccessTarget | null {
  const url = new URL(target);
  const path = normalizePath(url.pathname + url.search);
  if (!path.ok) return null;
  // As the gateway will decide it: with the site's letter-case setting (the default for the portal).
  const site = ctx.sites.match(url.hostname, url.port ? Number(url.port) : undefined, path.matchPath);
  const caseInsensitivePaths = site?.case_insensitive_paths ?? true;
  return { domain: url.hostname, path: path.matchPath, method: 'GET', ip: clientIpOf(ctx, req), caseInsensitivePaths };
}

/**
 * Whether a passkey alone may sign in for `rd` (a safe target, or undefined for the portal
 * itself), decided from the config and the target only — never from what a request claims.
 * Without `who` (before the passkey is used, so for anyone it might name); with `who`, for that
 * user and that passkey use.
 */
export function passwordlessAllowed(ctx: GatewayContext, req: Request, rd: string | undefined, who?: { user: SessionUser; use: FactorUse }): boolean {
  if (!ctx.config.second_factors.webauthn.enabled) return false;
  const target = rd === undefined ? null : accessTargetOf(ctx, req, rd);
  if (rd !== undefined && target === null) return false;
  if (!who) return mayOfferPasswordless(ctx.policy, target);
  return allowsPasswordless(ctx.policy, target, { username: who.user.username, groups: who.user.groups }, who.use, ctx.clock.now());
}

/** Sends a signed-out visitor to sign in, coming back here afterwards. */
export function redirectToSignIn(ctx: GatewayContext, req: Request, res: Response): void {
  const back = ctx.redirects.safeTarget(new URL(req.originalUrl, ctx.portal.origin).href);
  const url = new URL(ctx.portal.url);
  if (back) url.searchParams.set('rd', back);
  res.redirect(303, url.href);
}

/** A portal URL under the base path, with an optional return target. */
export function portalPath(ctx: GatewayContext, path: string, rd?: string): string {
  const url = new URL(path, ctx.portal.url);
  if (rd) url.searchParams.set('rd', rd);
  return url.pathname + url.search;
}
