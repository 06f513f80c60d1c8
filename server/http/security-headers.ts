import type { OutgoingHttpHeaders } from 'node:http';

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
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
  if (options.https) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
