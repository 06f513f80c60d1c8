/**
 * One script bundle per page. A page names its own script (at most one); the layout adds
 * static/local-time.js wherever a time is shown. Each combination is one bundle, built ahead
 * (client/assets/build-assets.ts), so a page loads exactly one file.
 */

/** Page scripts in client/static/, each an ES module entry. */
export const PAGE_SCRIPTS = ['webauthn', 'push-sign-in', 'recovery-codes', 'sent-code', 'audit-live'] as const;
export type PageScript = (typeof PAGE_SCRIPTS)[number];

/** Rewrites every `<time datetime>` in the reader's zone; added to any page that shows a time. */
const LOCAL_TIME = 'local-time';

export type BundleName = PageScript | `${PageScript}+${typeof LOCAL_TIME}` | typeof LOCAL_TIME;

/** Every bundle the build makes: each script alone and with local-time, and local-time alone. */
export const PAGE_BUNDLES: readonly BundleName[] = [...PAGE_SCRIPTS, ...PAGE_SCRIPTS.map((s) => `${s}+${LOCAL_TIME}` as const), LOCAL_TIME];

/** The bundle a page loads, or none for a page that works without script. */
export function bundleFor(script: PageScript | undefined, showsTime: boolean): BundleName | undefined {
  if (script === undefined) return showsTime ? LOCAL_TIME : undefined;
  return showsTime ? `${script}+${LOCAL_TIME}` : script;
}

/** The client/static modules a bundle is made of, in load order. */
export function bundleEntries(bundle: BundleName): string[] {
  return bundle.split('+').map((name) => `${name}.js`);
}
