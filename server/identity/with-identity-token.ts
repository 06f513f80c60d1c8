import type { SiteConfig } from '../config/schema.js';
import type { Session } from '../session/session.js';
import type { IdentityTokenIssuer } from './identity-token-issuer.js';

/**
 * The identity headers, plus the signed token for a site that gets one. The headers come back
 * as they are (a value, no promise) when the site has no token or its token is cached; a
 * promise only when a token must be signed. `headers` is a fresh object and is extended in place.
 */
export function withIdentityToken(
  tokens: IdentityTokenIssuer | undefined,
  site: SiteConfig,
  session: Session,
  headers: Record<string, string>,
): Record<string, string> | Promise<Record<string, string>> {
  if (!tokens || site.identity_jwt !== true) return headers;
  const token = tokens.tokenFor(session, site);
  if (typeof token === 'string') {
    headers[tokens.header] = token;
    return headers;
  }
  return token.then((signed) => {
    headers[tokens.header] = signed;
    return headers;
  });
}
