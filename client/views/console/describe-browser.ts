/**
 * A User-Agent as a person names their browser: "Edge 131 on Windows", "Safari on iPhone".
 * Only the common browsers and systems are told apart; anything else is "Unknown browser" (the
 * caller's words), and the raw string stays available to whoever needs it.
 */
const BROWSERS: ReadonlyArray<[string, RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /\bOPR\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /\b(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//],
];
const SYSTEMS: ReadonlyArray<[string, RegExp]> = [
  ['iPhone', /\biPhone\b/],
  ['iPad', /\biPad\b/],
  ['Android', /\bAndroid\b/],
  ['Windows', /\bWindows\b/],
  ['macOS', /\bMac OS X\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Linux', /\bLinux\b/],
];

export function describeBrowser(userAgent: string | null | undefined): { browser: string | null; system: string | null } {
  if (!userAgent) return { browser: null, system: null };
  const found = BROWSERS.find(([, pattern]) => pattern.test(userAgent));
  const version = found ? found[1].exec(userAgent)?.[1] : undefined;
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent))?.[0] ?? null;
  return { browser: found ? `${found[0]}${version ? ` ${version}` : ''}` : null, system };
}
