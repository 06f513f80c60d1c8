// Types for local-time.js, which the browser loads as is (no build step).

/** `iso` as `locale` writes it in `timeZone` (the browser's when undefined); undefined when not an instant. */
export function formatLocalTime(iso: unknown, locale: string | undefined, timeZone?: string): string | undefined;
