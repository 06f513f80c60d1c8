import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { browserCookieName, serializeBrowserCookie } from '../notifications/known-browsers.js';
import type { GatewayContext } from './context.js';
import { localeOf } from './pages.js';

/** What a sign-in tells the known-browsers record: the browser's cookie (if any) and its language. */
export function browserOf(ctx: GatewayContext, req: Request): { browserCookie?: string; locale?: ReturnType<typeof localeOf>['locale'] } {
  if (!ctx.browsers) return {};
  const browserCookie = parseCookies(req.headers.cookie ?? '')[browserCookieName(ctx.portal.https)];
  return { browserCookie, locale: localeOf(req).locale };
}

/** Sets (or refreshes) the browser cookie after a sign-in; nothing when browsers are not remembered. */
export function keepBrowserCookie(ctx: GatewayContext, res: Response, value: string | undefined): void {
  if (!value || !ctx.browsers) return;
  res.append('set-cookie', serializeBrowserCookie(value, { https: ctx.portal.https, maxAgeSeconds: ctx.config.notifications.browser_ttl }));
}
