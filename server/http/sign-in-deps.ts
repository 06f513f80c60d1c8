import type { Request, Response } from 'express';
import type { EnrollDeps } from '../enrollment/enroll-factor.js';
import type { EmailDeps, ManageDeps } from '../enrollment/manage-factors.js';
import type { SecondFactorDeps } from '../sign-in/complete-second-factor.js';
import type { ChallengeDeps } from '../sign-in/issue-webauthn-challenge.js';
import type { SignInDeps } from '../sign-in/sign-in.js';
import type { GatewayContext } from './context.js';
import { requestIdOf } from './pages.js';
import { clientIpOf } from './portal-session.js';

/** What the sign-in use-cases need from the gateway, and the sign-in metric they feed. */
export function signInDepsOf(ctx: GatewayContext): SignInDeps {
  return {
    directory: ctx.directory,
    sessions: ctx.sessions,
    regulator: ctx.regulator,
    accountStates: ctx.storage.accountStates,
    userState: ctx.storage.userState,
    passkeys: ctx.webauthn,
    logger: ctx.logger,
    audit: ctx.audit,
    ...(ctx.browsers ? { browsers: ctx.browsers } : {}),
    now: ctx.clock.now,
    onResult: (factor, result) => ctx.metrics.signIns.inc({ factor, result }),
  };
}

export function challengeDepsOf(ctx: GatewayContext): ChallengeDeps {
  const { webauthn } = ctx.config.second_factors;
  return {
    regulator: ctx.regulator,
    kv: ctx.kv,
    webauthn: ctx.webauthn,
    now: ctx.clock.now,
    maxPerAddress: webauthn.max_sign_in_challenges,
    windowSeconds: webauthn.challenge_ttl,
  };
}

export function secondFactorDepsOf(ctx: GatewayContext): SecondFactorDeps {
  return {
    sessions: ctx.sessions,
    storage: ctx.storage,
    regulator: ctx.regulator,
    audit: ctx.audit,
    now: ctx.clock.now,
    onResult: (factor, result) => ctx.metrics.signIns.inc({ factor, result }),
  };
}

export function enrollDepsOf(ctx: GatewayContext): EnrollDeps {
  const { totp, recovery_codes } = ctx.config.second_factors;
  return {
    sessions: ctx.sessions,
    storage: ctx.storage,
    kv: ctx.kv,
    regulator: ctx.regulator,
    audit: ctx.audit,
    webauthn: ctx.webauthn,
    totp,
    recoveryCodesEnabled: recovery_codes.enabled,
    now: ctx.clock.now,
  };
}

export function manageDepsOf(ctx: GatewayContext): ManageDeps {
  const push = ctx.push;
  return {
    storage: ctx.storage,
    sessions: ctx.sessions,
    regulator: ctx.regulator,
    audit: ctx.audit,
    factors: { ...ctx.factors, ...(push ? { push: push.factor } : {}) },
    webauthn: ctx.webauthn,
    ...(push ? { renamePhone: push.rename } : {}),
    now: ctx.clock.now,
  };
}

export function emailDepsOf(ctx: GatewayContext): EmailDeps {
  return {
    storage: ctx.storage,
    audit: ctx.audit,
    logger: ctx.logger,
    limiter: ctx.enrollmentEmailLimiter,
    ...(ctx.mailer ? { mailer: ctx.mailer } : {}),
    ttlSeconds: ctx.config.enrollment.email_code.ttl,
    methodsUrl: new URL('methods', ctx.portal.url).href,
    now: ctx.clock.now,
  };
}

/** Who is asking, for the audit trail. */
export function requestMetaOf(ctx: GatewayContext, req: Request, res: Response): { clientIp: string; userAgent?: string; requestId?: string } {
  return { clientIp: clientIpOf(ctx, req), userAgent: req.headers['user-agent'], requestId: requestIdOf(res) };
}
