import type { Locale, MessageKey, Translate } from '../i18n.js';

export type OtpDeviceKind = 'totp' | 'hotp';

const KIND_LABELS: Readonly<Record<string, MessageKey>> = {
  totp: 'otp.kind_totp',
  hotp: 'otp.kind_hotp',
};

/**
 * What an OTP device is: "Authenticator app", "Hardware token (TOTP)" or "Hardware token (HOTP)",
 * with ", serial 12345678" when a serial is known. A TOTP device with a serial is an imported
 * hardware token, not an app (apps have none).
 */
export function describeDeviceKind(t: Translate, kind: string, serial?: string | null): string {
  const key = kind === 'totp' && serial ? 'otp.kind_totp_token' : Object.hasOwn(KIND_LABELS, kind) ? KIND_LABELS[kind] : undefined;
  const label = key ? t(key) : t('factor.other', { kind });
  return serial ? t('otp.kind_with_serial', { kind: label, serial }) : label;
}

/**
 * A phone clock's offset as words: "4 minutes fast", "30 seconds slow". Positive seconds mean
 * the device's clock is ahead of the server's. Under a minute is given in seconds, because
 * steps are 30 s and "0 minutes" would read as no drift at all. Undefined for 0 or not a number.
 */
export function describeDrift(t: Translate, locale: Locale, seconds: number): string | undefined {
  if (!Number.isFinite(seconds) || seconds === 0) return undefined;
  return t(seconds > 0 ? 'otp.drift_fast' : 'otp.drift_slow', { amount: describeDriftAmount(t, locale, Math.abs(seconds)) });
}

/** The size of an offset alone ("4 minutes"), for sentences that say fast or slow themselves. */
export function describeDriftAmount(t: Translate, locale: Locale, absSeconds: number): string {
  const inMinutes = absSeconds >= 60;
  const count = inMinutes ? Math.round(absSeconds / 60) : Math.round(absSeconds);
  const one = new Intl.PluralRules(locale).select(count) === 'one';
  const key: MessageKey = inMinutes ? (one ? 'otp.minutes_one' : 'otp.minutes_other') : one ? 'otp.seconds_one' : 'otp.seconds_other';
  return t(key, { count: new Intl.NumberFormat(locale).format(count) });
}
