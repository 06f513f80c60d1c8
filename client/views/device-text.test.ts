import { describe, expect, it } from 'vitest';
import { createTranslator, type Locale } from '../i18n.js';
import { describeDeviceKind, describeDrift } from './device-text.js';

describe('describeDeviceKind', () => {
  it.each([
    ['en', 'totp', null, 'Authenticator app'],
    ['en', 'hotp', null, 'Hardware token (HOTP)'],
    ['en', 'hotp', '12345678', 'Hardware token (HOTP), serial 12345678'],
    ['en', 'totp', '', 'Authenticator app'],
    ['en', 'totp', 'TT-0042', 'Hardware token (TOTP), serial TT-0042'],
    ['en', 'carrier_pigeon', null, 'Other method (carrier_pigeon)'],
    ['en', '__proto__', null, 'Other method (__proto__)'],
    ['zh-TW', 'totp', null, '驗證器應用程式'],
    ['zh-TW', 'hotp', 'A-77', '硬體權杖（HOTP），序號 A-77'],
    ['zh-TW', 'totp', 'A-78', '硬體權杖（TOTP），序號 A-78'],
  ] as const)('in %s names %s (serial %s) "%s"', (locale, kind, serial, text) => {
    expect(describeDeviceKind(createTranslator(locale), kind, serial)).toBe(text);
  });
});

describe('describeDrift', () => {
  it.each([
    ['en', 240, '4 minutes fast'],
    ['en', -240, '4 minutes slow'],
    ['en', 60, '1 minute fast'],
    ['en', 89, '1 minute fast'],
    ['en', 90, '2 minutes fast'],
    ['en', 59, '59 seconds fast'],
    ['en', -30, '30 seconds slow'],
    ['en', 1, '1 second fast'],
    ['en', 360_000, '6,000 minutes fast'],
    ['zh-TW', 240, '快了 4 分鐘'],
    ['zh-TW', -30, '慢了 30 秒'],
  ] as const)('in %s says %s s is "%s"', (locale, seconds, text) => {
    expect(describeDrift(createTranslator(locale), locale as Locale, seconds)).toBe(text);
  });

  it.each([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('says nothing for %s', (seconds) => {
    expect(describeDrift(createTranslator('en'), 'en', seconds)).toBeUndefined();
  });
});
