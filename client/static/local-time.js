// Times come from the server in its own zone, named ("Jan 2, 2026, 9:05 AM UTC"), since it cannot
// know the reader's. This rewrites each <time datetime> in the browser's zone and the page's
// language. Text only, no markup; without this script the server's text stays.

/** The options the server uses too (views/format-time.ts), less the zone name: the zone is the reader's own. */
const OPTIONS = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
// An ISO 8601 instant as the server writes it (Date#toISOString), nothing looser.
const ISO_INSTANT = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** `iso` as `locale` writes it in `timeZone` (the browser's when undefined); undefined when not an instant. */
export function formatLocalTime(iso, locale, timeZone) {
  if (typeof iso !== 'string' || !ISO_INSTANT.test(iso)) return undefined;
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return undefined;
  try {
    return new Intl.DateTimeFormat(locale || undefined, { ...OPTIONS, timeZone }).format(at);
  } catch {
    return undefined;
  }
}

if (typeof document !== 'undefined') {
  const locale = document.documentElement.lang;
  for (const element of document.querySelectorAll('time[datetime]')) {
    const text = formatLocalTime(element.getAttribute('datetime'), locale);
    if (text !== undefined) element.textContent = text;
  }
}
