import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { disableUser, enableUser, resetFactors, unlockUser } from '../admin/account-actions.js';
import type { Actor, AdminDeps } from '../admin/admin-deps.js';
import { assignHardwareToken, listHardwareTokens, resyncHardwareToken, unassignHardwareToken } from '../admin/hardware-tokens.js';
import { issueEnrollmentLink } from '../admin/issue-enrollment-link.js';
import { listUserSessions, revokeAllUserSessions, revokeUserSession } from '../admin/user-sessions.js';
import { getUser, listUsersPage, PAGE_MAX } from '../admin/user-status.js';
import type { ApiErrorCode } from '../core/api-errors.js';
import { NOT_FOR_CHANGES } from '../enrollment/enrollment-policy.js';
import type { FactorUse, Session } from '../session/session.js';
import { apiNotFound, createApiErrorHandler, sendApiError } from './api-errors.js';
import type { GatewayContext } from './context.js';
import { isSameOriginRequest, tokensMatch } from './csrf.js';
import { requestIdOf } from './pages.js';
import { clientIpOf, portalSession } from './portal-session.js';

/** Mounted at `{base}api/admin/v1`. */
export const ADMIN_API_PATH = 'api/admin/v1';

const BODY_LIMIT = 8 * 1024;

const noBody = z.strictObject({});
const searchQuery = z.strictObject({
  search: z.string().max(100).optional(),
  offset: z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .default(0),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .transform(Number)
    .refine((n) => n >= 1 && n <= PAGE_MAX)
    .default(50),
});
const disableBody = z.strictObject({ reason: z.string().max(200).optional() });
const assignBody = z.strictObject({ username: z.string().min(1).max(128) });
const tokensQuery = searchQuery.extend({ unassigned: z.enum(['0', '1']).optional() });
const resyncBody = z.strictObject({ code1: z.string().max(16), code2: z.string().max(16) });
const linkBody = z.strictObject({
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .optional(),
});

/**
 * When the session's second factor stops being fresh (used within the last `maxAgeSeconds`), or
 * null. A second factor is one on top of the password; a passkey verified with user verification
 * on its own counts only where `passwordless` (second_factors.webauthn.passwordless) is on — a
 * rule's `passwordless` speaks for its sites, not for the admin API.
 */
export function freshFactorUntil(session: Session, now: number, maxAgeSeconds: number, passwordless: boolean): number | null {
  const hasPassword = session.factors.some((f) => f.kind === 'password');
  // A code sent to a mailbox or a phone never confirms an administrator, as it never confirms a
  // change of one's own sign-in methods (enrollment-policy.ts): it proves access to those only.
  const counts = (f: FactorUse) => f.kind !== 'password' && !NOT_FOR_CHANGES.has(f.kind) && (hasPassword || (passwordless && f.kind === 'webauthn' && f.userVerified === true));
  const latest = Math.max(-Infinity, ...session.factors.filter((f) => counts(f) && f.at <= now).map((f) => f.at));
  const until = latest + maxAgeSeconds * 1000;
  return Number.isFinite(until) && until > now ? until : null;
}

/**
 * The admin API: JSON for the console and scripts. A caller needs a portal session of a member of
 * `admin.group` with the password and a second factor at most `admin.fresh_factor_age` old (or,
 * where passwordless is on globally, such a passkey alone: see freshFactorUntil); every non-GET must
 * come from the portal's origin with the session's CSRF token in X-CSRF-Token. Handlers parse,
 * call one operation from server/admin (which audits), and map its value to a status.
 */
export function createAdminRouter(ctx: GatewayContext): express.Router {
  const router = express.Router();
  const admin: AdminDeps = { storage: ctx.storage, sessions: ctx.sessions, regulator: ctx.regulator, directory: ctx.directory, audit: ctx.audit, clock: ctx.clock };
  const sessionOf = (res: Response) => res.locals.adminSession as Session;
  const actorOf = (req: Request, res: Response): Actor => ({
    name: sessionOf(res).user.username,
    clientIp: clientIpOf(ctx, req),
    userAgent: req.headers['user-agent'],
    requestId: requestIdOf(res),
  });
  /** A value result as JSON: the result itself (without `ok`) or `body`; a refusal as its status and reason. */
  function answer<R extends { ok: true } | { ok: false; reason: ApiErrorCode }>(res: Response, result: R, body?: (r: Extract<R, { ok: true }>) => object): void {
    if (!result.ok) return sendApiError(res, result.reason);
    const { ok: _ok, ...rest } = result as Extract<R, { ok: true }>;
    res.json(body ? body(result as Extract<R, { ok: true }>) : rest);
  }
  const param = (req: Request, name: string) => String(req.params[name] ?? '');

  router.use(async (req, res, next) => {
    res.set('cache-control', 'no-store');
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return sendApiError(res, 'signed_out');
    const { session } = signedIn;
    const safe = req.method === 'GET' || req.method === 'HEAD';
    if (!safe && !(isSameOriginRequest(req.headers, ctx.portal.origin) && tokensMatch(req.headers['x-csrf-token'], session.csrf))) return sendApiError(res, 'csrf');
    if (!session.user.groups.includes(ctx.config.admin.group)) return sendApiError(res, 'forbidden');
    // A body, when there is one, must be JSON: no form or text/plain body (what a cross-site form can send) is read.
    const hasContent = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasContent && !req.is('application/json')) return sendApiError(res, 'json_required');
    res.locals.adminSession = session;
    next();
  });

  /** Who is calling, and the CSRF token the console sends back; answered without a fresh factor so it can ask for one. */
  router.get('/session', (_req, res) => {
    const session = sessionOf(res);
    const until = freshFactorUntil(session, ctx.clock.now(), ctx.config.admin.fresh_factor_age, ctx.policy.passwordless);
    res.json({ username: session.user.username, displayName: session.user.displayName, csrfToken: session.csrf, freshFactorUntil: until });
  });

  router.use((_req, res, next) => {
    if (freshFactorUntil(sessionOf(res), ctx.clock.now(), ctx.config.admin.fresh_factor_age, ctx.policy.passwordless) === null) return sendApiError(res, 'fresh_factor_required');
    next();
  });
  router.use(express.json({ limit: BODY_LIMIT, strict: true, type: 'application/json' }));

  /** The parsed body (absent counts as {}), or undefined after answering 400. */
  function bodyOf<T>(req: Request, res: Response, schema: z.ZodType<T>): T | undefined {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) return void sendApiError(res, 'malformed');
    return parsed.data;
  }

  router.get('/users', async (req, res) => {
    const query = searchQuery.safeParse(req.query);
    if (!query.success) return sendApiError(res, 'malformed');
    const { search, offset, limit } = query.data;
    const page = await listUsersPage(admin, { search, offset, limit });
    res.json({ users: page.users, total: page.total, offset, limit });
  });

  router.get('/users/:name', async (req, res) => {
    answer(res, await getUser(admin, param(req, 'name')), (r) => ({ user: r.user }));
  });

  const simple = [
    ['unlock', unlockUser],
    ['reset-factors', resetFactors],
    ['enable', enableUser],
  ] as const;
  for (const [path, operation] of simple) {
    router.post(`/users/:name/${path}`, async (req, res) => {
      if (!bodyOf(req, res, noBody)) return;
      answer(res, await operation(admin, actorOf(req, res), param(req, 'name')));
    });
  }

  router.post('/users/:name/disable', async (req, res) => {
    const body = bodyOf(req, res, disableBody);
    if (!body) return;
    answer(res, await disableUser(admin, actorOf(req, res), param(req, 'name'), { reason: body.reason ?? null }));
  });

  router.get('/users/:name/sessions', async (req, res) => answer(res, await listUserSessions(admin, param(req, 'name'))));

  router.delete('/users/:name/sessions/:id', async (req, res) => {
    if (!bodyOf(req, res, noBody)) return;
    answer(res, await revokeUserSession(admin, actorOf(req, res), param(req, 'name'), param(req, 'id')));
  });

  router.delete('/users/:name/sessions', async (req, res) => {
    if (!bodyOf(req, res, noBody)) return;
    answer(res, await revokeAllUserSessions(admin, actorOf(req, res), param(req, 'name')));
  });

  router.post('/users/:name/enrollment-links', async (req, res) => {
    const body = bodyOf(req, res, linkBody);
    if (!body) return;
    const { admin_link } = ctx.config.enrollment;
    const options = { enabled: admin_link.enabled, ttlSeconds: body.ttlSeconds ?? admin_link.ttl, portalUrl: ctx.portal.url };
    answer(res, await issueEnrollmentLink(admin, actorOf(req, res), param(req, 'name'), options));
  });

  router.post('/tokens/:serial/assign', async (req, res) => {
    const body = bodyOf(req, res, assignBody);
    if (!body) return;
    answer(res, await assignHardwareToken(admin, actorOf(req, res), param(req, 'serial'), body.username));
  });

  router.get('/tokens', async (req, res) => {
    const query = tokensQuery.safeParse(req.query);
    if (!query.success) return sendApiError(res, 'malformed');
    const { search = '', offset, limit, unassigned } = query.data;
    const page = await listHardwareTokens(admin, { search, unassignedOnly: unassigned === '1', offset, limit });
    res.json({ tokens: page.tokens, total: page.total, offset, limit });
  });

  router.post('/tokens/:serial/resync', async (req, res) => {
    const body = bodyOf(req, res, resyncBody);
    if (!body) return;
    const result = await resyncHardwareToken(admin, actorOf(req, res), param(req, 'serial'), body, ctx.config.second_factors);
    if (!result.ok) return sendApiError(res, result.reason === 'unknown_token' ? 'unknown_token' : result.reason === 'malformed' ? 'malformed' : 'resync_refused');
    res.json(result.kind === 'hotp' ? { kind: 'hotp', counter: result.counter } : { kind: 'totp', driftSteps: result.driftSteps });
  });

  router.post('/tokens/:serial/unassign', async (req, res) => {
    if (!bodyOf(req, res, noBody)) return;
    answer(res, await unassignHardwareToken(admin, actorOf(req, res), param(req, 'serial')));
  });

  router.use(apiNotFound);
  router.use(createApiErrorHandler(ctx, 'admin'));
  return router;
}
