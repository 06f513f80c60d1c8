/**
 * One catalogue of the errors a client may see. Each code maps to an HTTP status and a
 * public message key (translated by the portal); the detail stays in the log.
 * Expected outcomes (wrong password, replayed code) are values, not errors: this is for
 * requests we refuse and for outages.
 */
export const errorCatalogue = {
  'request.invalid': { status: 400, message: 'error.request_invalid' },
  'request.too_large': { status: 413, message: 'error.request_too_large' },
  'request.path_invalid': { status: 400, message: 'error.request_invalid' },
  'request.host_invalid': { status: 400, message: 'error.request_invalid' },
  'csrf.invalid': { status: 403, message: 'error.csrf' },
  'auth.required': { status: 401, message: 'error.auth_required' },
  'access.denied': { status: 403, message: 'error.forbidden' },
  'proxy.untrusted': { status: 403, message: 'error.forbidden' },
  'site.unknown': { status: 404, message: 'error.site_unknown' },
  'route.not_found': { status: 404, message: 'error.not_found' },
  'upstream.unavailable': { status: 502, message: 'error.upstream_unavailable' },
  'upstream.timeout': { status: 504, message: 'error.upstream_timeout' },
  'store.unavailable': { status: 503, message: 'error.store_unavailable' },
  'directory.unavailable': { status: 503, message: 'error.directory_unavailable' },
  'console.forbidden': { status: 403, message: 'error.console_forbidden' },
  'console.read_only': { status: 403, message: 'error.console_read_only' },
  'console.unknown_user': { status: 404, message: 'error.console_unknown_user' },
  'console.unknown_token': { status: 404, message: 'error.console_unknown_token' },
  internal: { status: 500, message: 'error.internal' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Message key for the public text; never the detail. */
  readonly publicMessage: string;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? code, options);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.publicMessage = errorCatalogue[code].message;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Raised by a store (Redis, database) that did not answer in time or at all. */
export class StoreUnavailableError extends AppError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('store.unavailable', detail, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Raised when no directory server (LDAP) answers in time: none could be reached, a TLS check
 * failed, or an operation timed out. Never for a wrong password or an unknown user.
 */
export class DirectoryUnavailableError extends AppError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('directory.unavailable', detail, options);
    this.name = 'DirectoryUnavailableError';
  }
}
