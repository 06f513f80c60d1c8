import type { Request, Response } from 'express';
import type { Locale, MessageKey, Translate } from '../../../client/i18n.js';
import { renderConsoleLayout, type ConsoleNavItem } from '../../../client/views/console/console-layout.js';
import type { SafeHtml } from '../../../client/views/html.js';
import type { PageScript } from '../../../client/views/layout.js';
import type { Actor, AdminDeps } from '../../admin/admin-deps.js';
import type { Session } from '../../session/session.js';
import type { GatewayContext } from '../context.js';
import { requestIdOf, sendPage } from '../pages.js';
import { clientIpOf } from '../portal-session.js';
import type { ConsoleRole } from './console-access.js';

/** Mounted at `{base}console`. */
export const CONSOLE_PATH = 'console';

/** One entry of the console's navigation, in the order shown: a page adds itself here (console-pages.ts). */
export interface ConsoleNavEntry {
  id: string;
  /** Under the console, without a leading slash. */
  path: string;
  label: MessageKey;
}

/** What every console page module gets: the gateway, the admin use-cases' dependencies, and helpers. */
export interface ConsoleKit {
  ctx: GatewayContext;
  admin: AdminDeps;
  nav: readonly ConsoleNavEntry[];
  /** A console URL path: `path('users/bob')` → `/auth/console/users/bob`. */
  path(relative: string): string;
}

/** Set by the console router's access check before any page route runs. */
export interface ConsoleVisitor {
  session: Session;
  role: ConsoleRole;
  locale: Locale;
  t: Translate;
}

export function createConsoleKit(ctx: GatewayContext, nav: readonly ConsoleNavEntry[]): ConsoleKit {
  const admin: AdminDeps = { storage: ctx.storage, sessions: ctx.sessions, regulator: ctx.regulator, directory: ctx.directory, audit: ctx.audit, clock: ctx.clock };
  const root = `${ctx.portal.basePath}${CONSOLE_PATH}/`;
  return { ctx, admin, nav, path: (relative) => root + relative.split('/').map(encodeURIComponent).join('/') };
}

export function visitorOf(res: Response): ConsoleVisitor {
  return res.locals.consoleVisitor as ConsoleVisitor;
}

/** The signed-in administrator, for the audit event of a change. */
export function actorOf(kit: ConsoleKit, req: Request, res: Response): Actor {
  return { name: visitorOf(res).session.user.username, clientIp: clientIpOf(kit.ctx, req), userAgent: req.headers['user-agent'], requestId: requestIdOf(res) };
}

/** A console page in the console's layout: navigation with `current` marked, the visitor, the language switch. */
export function sendConsolePage(
  kit: ConsoleKit,
  req: Request,
  res: Response,
  page: { status?: number; current: string; title: string; body: SafeHtml; script?: PageScript; hasError?: boolean; oneTimeSecret?: boolean },
): void {
  const { session, role, locale, t } = visitorOf(res);
  const nav: ConsoleNavItem[] = kit.nav.map((entry) => ({ href: kit.path(entry.path), label: t(entry.label), current: entry.id === page.current }));
  const here = new URL(req.originalUrl, kit.ctx.portal.origin);
  const languageHref = (l: Locale) => {
    const url = new URL(here);
    url.searchParams.set('lang', l);
    return url.pathname + url.search;
  };
  const body = renderConsoleLayout({
    t,
    locale,
    basePath: kit.ctx.portal.basePath,
    assets: kit.ctx.portal.assets,
    consoleHref: kit.path(''),
    title: page.title,
    hasError: page.hasError,
    body: page.body,
    script: page.script,
    nav,
    visitor: { username: session.user.username, displayName: session.user.displayName, role },
    languageHref,
  });
  sendPage(kit.ctx, res, page.status ?? 200, body, { oneTimeSecret: page.oneTimeSecret });
}
