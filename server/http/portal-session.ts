import type { Request, Response } from 'express';
import { currentSession } from '../gate/authorize-request.js';
import { evaluateAccess } from '../policy/evaluate-access.js';
import { normalizePath } from '../policy/normalize-path.js';
import { readSessionToken } from '../session/session-cookie.js';
import type { Session } from '../session/session.js';
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
  const url = new URL(target);
  const path = normalizePath(url.pathname + url.search);
  if (!path.ok) return { kind: 'deny' as const, rule: 'default' as const };
  const subject = { username: session.user.username, groups: session.user.groups, factors: session.factors };
  // As the gateway will decide it: with the site's letter-case setting (the default for the portal).
  const site = ctx.sites.match(url.hostname, url.port ? Number(url.port) : undefined, path.matchPath);
  const caseInsensitivePaths = site?.case_insensitive_paths ?? true;
  return evaluateAccess(ctx.policy, { domain: url.hostname, path: path.matchPath, method: 'GET', ip: clientIpOf(ctx, req), caseInsensitivePaths }, subject, ctx.clock.now());
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
