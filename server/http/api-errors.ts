import type { NextFunction, Request, Response } from 'express';
import { API_ERRORS, apiErrorBody, isApiErrorCode, type ApiErrorCode } from '../core/api-errors.js';
import { DirectoryUnavailableError, StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { requestIdOf } from './pages.js';

/** Answers a JSON API request with a catalogued error: its status and `{ error: code }`, never cached. */
export function sendApiError(res: Response, code: ApiErrorCode): void {
  res.status(API_ERRORS[code].status).set('cache-control', 'no-store').json(apiErrorBody(code));
}

/** A reason from a use-case, as the code it is in the catalogue; `fallback` for one that is not (a bug, logged by no one). */
export function apiErrorCodeOf(reason: string, fallback: ApiErrorCode): ApiErrorCode {
  return isApiErrorCode(reason) ? reason : fallback;
}

/** The last route of a JSON API: an unknown path is JSON too. */
export function apiNotFound(_req: Request, res: Response): void {
  sendApiError(res, 'not_found');
}

/**
 * The one error middleware of the JSON APIs. Body-parser refusals are the client's (413, 415,
 * other 4xx as malformed), a store or directory that does not answer is 503, anything else is a bug: logged
 * with the request id, answered 500 with no detail — library messages never reach the client.
 */
export function createApiErrorHandler(deps: { logger: Logger }, api: string) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown } | null)?.status;
    if (status === 413) return sendApiError(res, 'too_large');
    if (status === 415) return sendApiError(res, 'json_required');
    if (error instanceof StoreUnavailableError || error instanceof DirectoryUnavailableError) {
      deps.logger.warn({ err: error.message, api, path: req.path, requestId: requestIdOf(res) }, 'an outage below a JSON API');
      return sendApiError(res, error instanceof StoreUnavailableError ? 'store_unavailable' : 'directory_unavailable');
    }
    if (typeof status === 'number' && status >= 400 && status < 500) return sendApiError(res, 'malformed');
    deps.logger.error({ err: error, api, path: req.path, requestId: requestIdOf(res) }, 'JSON API error');
    sendApiError(res, 'internal');
  };
}
