import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * A state-changing request must come from the portal's own pages: its Origin (or, where a
 * browser sends none, its Referer) must be the portal's origin. Sibling sites under the cookie
 * domain are other origins, so a compromised intranet app cannot post to the portal.
 */
export function isSameOriginRequest(headers: IncomingHttpHeaders, portalOrigin: string): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string') return origin === portalOrigin;
  const referer = headers.referer;
  if (typeof referer !== 'string') return false;
  try {
    return new URL(referer).origin === portalOrigin;
  } catch {
    return false;
  }
}

/** Constant-time comparison of a submitted token with the expected one. */
export function tokensMatch(submitted: unknown, expected: string | undefined): boolean {
  if (typeof submitted !== 'string' || !expected) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
