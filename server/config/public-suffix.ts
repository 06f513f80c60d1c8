import { parse } from 'tldts';

/**
 * Whether a host name is a public suffix by the Public Suffix List (publicsuffix.org): a name
 * under which anyone may register their own, like `com`, `co.uk` or `github.io`. Both sections
 * of the list count — ICANN's and the private one of hosting services — and so does a single
 * label the list does not know (`lan`, `internal`): the list's default rule makes every
 * top-level name a suffix, and browsers refuse a cookie for one. `localhost` is not a suffix
 * here: RFC 6761 keeps it on the machine, and the demo and the tests share their session across
 * `*.localhost`. An address is not a suffix either; the caller refuses it on its own terms.
 *
 * The list comes with the tldts package: updating tldts updates the list.
 */
export function isPublicSuffix(host: string): boolean {
  const { isIp, domain } = parse(host, { allowPrivateDomains: true, validHosts: ['localhost'] });
  // No registrable domain means the name is a suffix (or no valid host name at all: refused too).
  return isIp !== true && domain === null;
}
