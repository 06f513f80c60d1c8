import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { negotiateLocale, createTranslator, isLocale, isMessageKey } from '../../client/i18n.js';
import { renderErrorPage } from '../../client/views/error-page.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import { encodePage } from './content-encoding.js';
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

/**
 * Sends a page the gateway rendered, compressed when the browser accepts it (never an upstream's
 * answer: the proxy passes those on as they come). `oneTimeSecret`: the page shows a secret
 * meant to be seen once (a TOTP key, recovery codes, an enrollment link); it goes out
 * uncompressed, so that no reflected text beside it can learn it from compressed lengths (BREACH).
 */
export function sendPage(ctx: GatewayContext, res: ServerResponse, status: number, body: string, options: { oneTimeSecret?: boolean } = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const encoded = options.oneTimeSecret ? { body: Buffer.from(body) } : encodePage(body, res.req?.headers['accept-encoding']);
  const headers: OutgoingHttpHeaders = { ...ctx.portal.pageHeaders, 'content-length': encoded.body.length, vary: 'Accept-Encoding' };
  if (encoded.coding) headers['content-encoding'] = encoded.coding;
  res.writeHead(status, headers);
  res.end(encoded.body);
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
    assets: ctx.portal.assets,
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
