import type { SiteConfig } from '../config/schema.js';

export type UpstreamFailure = 'unavailable' | 'timeout';

/** What the gateway decided about one allowed request, handed to the proxy. */
export interface ProxyContext {
  site: SiteConfig;
  /** Normalized path to forward, starting with the site's path prefix. */
  path: string;
  /** Raw query string, without "?" (a leading "?" is tolerated); '' for none. */
  query: string;
  clientIp: string;
  viaTrustedProxy: boolean;
  proto: 'http' | 'https';
  requestId: string;
  /** Identity headers from buildIdentityHeaders; absent for anonymous (bypass) requests. */
  identity?: Record<string, string>;
  /**
   * The upstream failed before any response reached the client: render the 502/504 page if
   * headers are not sent. For upgrade() the page must be written to the socket and the socket
   * ended; if onError leaves it open, the proxy writes a bare status and closes it.
   */
  onError(kind: UpstreamFailure): void;
}

/** Timeouts (ours, undici's, the kernel's) are 504; everything else the upstream does wrong is 502. */
export function classifyUpstreamError(error: unknown): UpstreamFailure {
  const code = errorCode(error);
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' ? 'timeout' : 'unavailable';
}

/** Errors that mean "the connection died under us", worth one retry for a bodiless idempotent request. */
export function isConnectionReset(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
