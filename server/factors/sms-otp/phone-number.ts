import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js/max';

/**
 * The full metadata is ≈ 2 MB of heap once loaded, and only SMS codes need it: loaded with the
 * first number parsed, not at start. Synchronously (require), so parsing stays a plain function.
 */
let phoneNumbers: typeof import('libphonenumber-js/max') | undefined;
function loadPhoneNumbers(): typeof import('libphonenumber-js/max') {
  phoneNumbers ??= createRequire(import.meta.url)('libphonenumber-js/max') as typeof import('libphonenumber-js/max');
  return phoneNumbers;
}

export type PhoneNumberResult =
  | { ok: true; e164: string; country: string }
  /**
   * `malformed`: not a phone number as written (letters, too long, no country); `invalid`: no such
   * number in its country's plan; `not-mobile`: premium-rate, shared-cost, toll-free, a fixed
   * line… — nothing an SMS code should go to; `country`: not in allowed_countries.
   */
  | { ok: false; reason: 'malformed' | 'invalid' | 'not-mobile' | 'country' };

/** Mobile numbers, and the plans (US, CA…) where mobile and fixed numbers cannot be told apart. */
const TEXTABLE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);
/** What people write in a number: digits, one leading "+", spaces and the usual separators. */
const WRITTEN = /^\+?[0-9 ()./-]{4,32}$/;

/**
 * A number from the directory or the users file as E.164, or why no code may go to it. Read with
 * the full metadata (libphonenumber-js/max), so the number's type is known: premium-rate and
 * shared-cost numbers, where SMS pumping fraud earns its money, are refused by type.
 */
export function parsePhoneNumber(written: string, options: { defaultRegion?: string; allowedCountries: readonly string[] }): PhoneNumberResult {
  // Guard: letters or anything else would be dropped by the parser, reading another number than written.
  if (!WRITTEN.test(written)) return { ok: false, reason: 'malformed' };
  if (written.replace(/\D/g, '').length > 15) return { ok: false, reason: 'malformed' };
  const parsed = loadPhoneNumbers().parsePhoneNumberFromString(written, options.defaultRegion ? { defaultCountry: options.defaultRegion as CountryCode } : undefined);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (!parsed.isValid() || !parsed.country) return { ok: false, reason: 'invalid' };
  if (!TEXTABLE.has(parsed.getType() ?? '')) return { ok: false, reason: 'not-mobile' };
  if (!options.allowedCountries.includes(parsed.country)) return { ok: false, reason: 'country' };
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** "•••• 678": the last three digits, enough to tell one's own phone. */
export function maskPhoneNumber(e164: string): string {
  return `•••• ${e164.slice(-3)}`;
}
