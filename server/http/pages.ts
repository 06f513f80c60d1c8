import type { IncomingMessage, ServerResponse } from 'node:http';
import { negotiateLocale, createTranslator, isLocale, isMessageKey } from '../../client/i18n.js';
import { renderErrorPage } from '../../client/views/error-page.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import type { GatewayContext } from './context.js';

/** The cookie the language switch sets: the reader's choice beats their browser's Accept-Language. */
export const LOCALE_COOKIE = 'gatehouse_lang';
const LOCALE_COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${LOCALE_COOKIE}=([A-Za-z-]{2,8})(?:;|$)`);

/** Locale and translator for a request: the language switch's cookie, else its Accept-Language. */
export function localeOf(req: IncomingMessage) {
  const chosen = typeof req.headers.cookie === 'string' ? LOCALE_COOKIE_PATTERN.exec(req.headers.cookie)?.[1] : undefined;
  const locale = isLocale(chosen) ? chosen : negotiateLocale(req.headers['accept-language']);
  return { locale, t: createTranslator(locale) };
}

export function sendPage(ctx: GatewayContext, res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...ctx.portal.pageHeaders, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Renders the catalogue's public message for `code`; details never reach the client. */
export function sendErrorPage(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, code: ErrorCode, requestId?: string): void {
  const error = new AppError(code);
  requestId ??= requestIdOf(res);
  const { locale, t } = localeOf(req);
  const body = renderErrorPage({
    t,
    locale,
    basePath: ctx.portal.basePath,
    status: error.status,
    messageKey: isMessageKey(error.publicMessage) ? error.publicMessage : 'error.internal',
    requestId,
  });
  sendPage(ctx, res, error.status, body);
}

/** The id the gateway gave this request (set on portal responses before express runs). */
export function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}
