import en from './locales/en.json' with { type: 'json' };
import zhTW from './locales/zh-TW.json' with { type: 'json' };

export const LOCALES = ['en', 'zh-TW'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** Keys of the English catalogue; every other catalogue must have exactly these (a unit test checks). */
export type MessageKey = keyof typeof en;
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

// Typed as a full record so that a key missing from a catalogue fails the type check too.
const catalogues: Record<Locale, Record<MessageKey, string>> = { en, 'zh-TW': zhTW };

// A browser sends a few hundred bytes; anything far larger is not worth parsing.
const MAX_HEADER_LENGTH = 4096;
const MAX_ENTRIES = 32;
const LANGUAGE_RANGE = /^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$/i;
const QUALITY = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;
const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** True when `value` names a message, e.g. a key handed over by the server's error catalogue. */
export function isMessageKey(value: unknown): value is MessageKey {
  return typeof value === 'string' && Object.hasOwn(en, value);
}

/**
 * Picks the locale for an Accept-Language header (RFC 9110 §12.5.4), honouring q-values.
 * Every Chinese range (zh, zh-TW, zh-Hant, zh-HK, zh-MO, and also zh-CN / zh-Hans) maps to
 * zh-TW: Traditional Chinese is the only Chinese catalogue, and it reads better to a
 * Simplified reader than English does. `*` means the first locale not refused with q=0.
 * Malformed entries are skipped; a header with nothing usable, or too long, gives English.
 */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (typeof acceptLanguage !== 'string' || acceptLanguage.length > MAX_HEADER_LENGTH) return DEFAULT_LOCALE;
  const ranges = parseAcceptLanguage(acceptLanguage);
  const refused = new Set(ranges.filter((r) => r.q === 0).map((r) => r.range));
  for (const { range, q } of ranges) {
    if (q === 0) continue;
    if (range === '*') return LOCALES.find((l) => !isRefused(l, refused)) ?? DEFAULT_LOCALE;
    const locale = localeForRange(range);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

function parseAcceptLanguage(header: string): Array<{ range: string; q: number }> {
  const ranges: Array<{ range: string; q: number }> = [];
  for (const entry of header.split(',').slice(0, MAX_ENTRIES)) {
    const [rawRange = '', ...params] = entry.split(';').map((part) => part.trim());
    if (!LANGUAGE_RANGE.test(rawRange) || params.length > 1) continue;
    let q = 1;
    if (params.length === 1) {
      const match = QUALITY.exec(params[0]!);
      if (!match) continue;
      q = Number(match[1]);
    }
    ranges.push({ range: rawRange.toLowerCase(), q });
  }
  // Array.prototype.sort is stable: equal q-values keep the browser's order.
  return ranges.sort((a, b) => b.q - a.q);
}

// "zh;q=0" refuses zh-TW as well as "zh-tw;q=0" does.
function isRefused(locale: Locale, refused: Set<string>): boolean {
  const tag = locale.toLowerCase();
  return refused.has(tag) || refused.has(tag.split('-')[0]!);
}

function localeForRange(range: string): Locale | undefined {
  const primary = range.split('-')[0];
  if (primary === 'en') return 'en';
  if (primary === 'zh') return 'zh-TW';
  return undefined;
}

/**
 * A translator for one locale. `{name}` placeholders are replaced in a single pass, so a
 * parameter's own text is never read as a placeholder; an unknown placeholder stays as
 * written. The result is plain text: views escape it like any other value.
 */
export function createTranslator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  return (key, params) => {
    const template = Object.hasOwn(catalogue, key) ? catalogue[key] : Object.hasOwn(en, key) ? en[key] : String(key);
    if (!params) return template;
    return template.replace(PLACEHOLDER, (placeholder, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : placeholder));
  };
}
