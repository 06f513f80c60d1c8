import type { OutgoingHttpHeaders } from 'node:http';

/**
 * On every portal response, and in every page's <meta name="referrer"> (client/views/layout.ts:
 * the meta overrides the header, so the two must agree). Portal URLs carry return targets (`rd`,
 * which may hold an app's own query string) and approval ids, and a path-prefixed portal shares
 * its origin with an app: `same-origin` handed those URLs to that app. `strict-origin` sends the
 * origin alone, never a path or query. Not `no-referrer`: with it, browsers send `Origin: null`
 * on the portal's own form posts (Fetch, "append a request Origin header"), and the CSRF check
 * (csrf.ts) rightly refuses those. Nothing reads a Referer beyond its origin.
 */
export const REFERRER_POLICY = 'strict-origin';

/**
 * Headers for every page the gateway itself renders (portal and error pages). Built once at
 * start-up. `form-action` lists the sites too: Chromium applies it to the redirect that
 * follows the sign-in POST.
 */
export function createPageHeaders(options: { https: boolean; formTargets: readonly string[] }): OutgoingHttpHeaders {
  const formAction = ["'self'", ...new Set(options.formTargets)].join(' ');
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': [
      "default-src 'none'",
      "style-src 'self'",
      "script-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      // The companion app (a PWA under the portal): its manifest and service worker.
      "manifest-src 'self'",
      "worker-src 'self'",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': REFERRER_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
  if (options.https) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
