import type { Locale } from '../i18n.js';
import { html, type SafeHtml } from './html.js';

/** How a moment is written, on the server and by static/local-time.js in the browser (which adds no zone name). */
export const TIME_FORMAT: Readonly<Intl.DateTimeFormatOptions> = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };

/**
 * A moment (ms since epoch) as the locale writes it, in the server's zone (or `timeZone`) with
 * the zone named, since the reader's zone is unknown here. An unknown `timeZone` falls back to
 * the server's own rather than failing the page.
 */
export function formatTime(locale: Locale, at: number, timeZone?: string): string {
  if (isoOf(at) === undefined) return '—';
  const options: Intl.DateTimeFormatOptions = { ...TIME_FORMAT, timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(at);
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(at);
  }
}

/**
 * A moment for a page: `<time datetime="ISO">` around the server's text, which
 * static/local-time.js rewrites in the reader's own zone (the layout loads it for any page with
 * one). Without the script the server's text, zone named, stays.
 */
export function renderTime(locale: Locale, at: number, timeZone?: string): SafeHtml {
  const iso = isoOf(at);
  return iso === undefined ? html`—` : html`<time datetime="${iso}">${formatTime(locale, at, timeZone)}</time>`;
}

// A Date covers ±8.64e15 ms: beyond that (or NaN, ±Infinity) there is no moment to write.
function isoOf(at: number): string | undefined {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
