import express, { type Request, type Response } from 'express';
import { owedRecoveryCodes, takeOwedRecoveryCodes, type OwedBecause } from '../factors/recovery/owed-recovery-codes.js';
import { issueRecoveryCodes } from '../enrollment/manage-factors.js';
import type { Session } from '../session/session.js';
import type { MethodsNotice } from '../../client/views/methods-page.js';
import { renderRecoveryCodesConfirmPage } from '../../client/views/recovery-codes-confirm-page.js';
import { renderRecoveryCodesPage } from '../../client/views/recovery-codes-page.js';
import type { GatewayContext } from './context.js';
import { enrollmentStateOf } from './methods-router.js';
import { localeOf, sendErrorPage, sendPage } from './pages.js';
import { manageDepsOf, requestMetaOf } from './sign-in-deps.js';
import { portalPath, portalSession, redirectToSignIn } from './portal-session.js';

type SignedIn = { token: string; session: Session };

/** Where "I have saved them — continue" leads after a first factor of each kind. */
const ADDED: Record<OwedBecause, MethodsNotice> = { webauthn: 'webauthn_added', push: 'push_added' };

/**
 * Recovery codes on "My sign-in methods": made on request (after asking, when unused codes would
 * be thrown away), and shown once after the first second factor of any kind.
 */
export function createRecoveryCodesRouter(ctx: GatewayContext, deps: { authorizeChange(req: Request, res: Response): Promise<SignedIn | undefined> }): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: ctx.config.server.body_limit, parameterLimit: 20 });
  const { recovery_codes: config } = ctx.config.second_factors;

  router.post('/methods/recovery-codes', form, async (req, res) => {
    const allowed = await deps.authorizeChange(req, res);
    if (!allowed) return;
    if (!config.enabled) return sendErrorPage(ctx, req, res, 'access.denied');
    const { remaining } = await enrollmentStateOf(ctx, req, allowed.session);
    // A written-down set stops working the moment new codes exist: ask first.
    if (remaining > 0 && req.body?.confirm !== '1') {
      const { locale, t } = localeOf(req);
      return sendPage(
        ctx,
        res,
        200,
        renderRecoveryCodesConfirmPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, csrfToken: allowed.session.csrf, unused: remaining }),
      );
    }
    const replaced = remaining > 0;
    await showNewRecoveryCodes(ctx, req, res, allowed.session, { replaced, continueUrl: portalPath(ctx, `methods?notice=${replaced ? 'codes_regenerated' : 'codes_created'}`) });
  });

  // The codes owed after a first passkey or phone; a reload, or a second tab, finds them gone.
  router.get('/methods/recovery-codes/new', async (req, res) => {
    const signedIn = await portalSession(ctx, req);
    if (!signedIn) return redirectToSignIn(ctx, req, res);
    const username = signedIn.session.user.username;
    const state = await enrollmentStateOf(ctx, req, signedIn.session);
    if (state.decision.kind !== 'allowed') return void res.redirect(303, portalPath(ctx, 'methods'));
    const owed = await takeOwedRecoveryCodes(ctx.kv, username);
    if (!owed || !mayShowOwedCodes(ctx, state)) return void res.redirect(303, portalPath(ctx, owed ? `methods?notice=${ADDED[owed]}` : 'methods'));
    await showNewRecoveryCodes(ctx, req, res, signedIn.session, { replaced: false, continueUrl: portalPath(ctx, `methods?notice=${ADDED[owed]}`) });
  });

  return router;
}

/** Are codes owed to this user now, to be shown at /methods/recovery-codes/new? */
export async function hasOwedRecoveryCodes(ctx: GatewayContext, username: string, state: FactorCounts): Promise<boolean> {
  return mayShowOwedCodes(ctx, state) && (await owedRecoveryCodes(ctx.kv, username)) !== undefined;
}

type FactorCounts = { devices: unknown[]; credentials: unknown[]; remaining: number };

// Never over unused codes (made by hand meanwhile), and never once the factor that earned them is
// gone (an administrator's reset): codes alone are no first factor.
function mayShowOwedCodes(ctx: GatewayContext, state: FactorCounts): boolean {
  return ctx.config.second_factors.recovery_codes.enabled && state.remaining === 0 && state.devices.length + state.credentials.length > 0;
}

/** Makes a new set (replacing any old one), audits it and shows it once. */
export async function showNewRecoveryCodes(ctx: GatewayContext, req: Request, res: Response, session: Session, options: { replaced: boolean; continueUrl: string }) {
  const { username } = session.user;
  const codes = await issueRecoveryCodes(manageDepsOf(ctx), {
    session,
    count: ctx.config.second_factors.recovery_codes.count,
    replaced: options.replaced,
    ...requestMetaOf(ctx, req, res),
  });
  const { locale, t } = localeOf(req);
  sendPage(
    ctx,
    res,
    200,
    renderRecoveryCodesPage({ t, locale, basePath: ctx.portal.basePath, assets: ctx.portal.assets, codes, continueUrl: options.continueUrl, username, replaced: options.replaced }),
    { oneTimeSecret: true },
  );
}
