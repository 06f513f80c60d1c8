import type { IncomingMessage, ServerResponse } from 'node:http';
import { negotiateLocale, createTranslator, isMessageKey } from '../../client/i18n.js';
import { renderErrorPage } from '../../client/views/error-page.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import type { GatewayContext } from './context.js';

/** Locale and translator for a request, from its Accept-Language. */
export function localeOf(req: IncomingMessage) {
  const locale = negotiateLocale(req.headers['accept-language']);
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
