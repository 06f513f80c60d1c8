import type { Locale } from '../i18n.js';

/**
 * A moment (ms since epoch) as the locale writes it, with the zone named, because the page
 * is rendered on the server and cannot know the reader's zone. An unknown `timeZone` falls
 * back to the server's own rather than failing the page.
 */
export function formatTime(locale: Locale, at: number, timeZone?: string): string {
  if (!Number.isFinite(at)) return '—';
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(at);
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(at);
  }
}
