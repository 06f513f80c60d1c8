import { describe, expect, it } from 'vitest';
import { maskPhoneNumber, parsePhoneNumber } from './phone-number.js';

const TW = { defaultRegion: 'TW', allowedCountries: ['TW'] };

describe('parsePhoneNumber', () => {
  it.each([
    ['0912345678', '+886912345678'],
    ['886912345678', '+886912345678'],
    ['+886912345678', '+886912345678'],
    ['+886 912 345 678', '+886912345678'],
    ['0912-345-678', '+886912345678'],
    ['(09) 1234 5678', '+886912345678'],
  ])('reads %s as %s with default region TW', (written, e164) => {
    expect(parsePhoneNumber(written, TW)).toEqual({ ok: true, e164, country: 'TW' });
  });

  it.each([
    ['091234567a'],
    ['0912345678x'],
    ['+886 912 345 678 ext. 1'],
    ['tel:+886912345678'],
    ['０９１２３４５６７８'],
    ['+886\u00a0912345678'],
    ['+886912345678\r\nBcc: x'],
    [''],
    ['+'],
    ['9'.repeat(16)],
    ['+8869123456789999'],
    ['0'.repeat(40)],
  ])('refuses %j as not a number as written', (written) => {
    const result = parsePhoneNumber(written, TW);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(['malformed', 'invalid']).toContain(result.reason);
  });

  it.each([
    ['+1 900 555 0100', 'premium-rate, US'],
    ['+44 909 879 0000', 'premium-rate, GB'],
    ['+44 845 464 0000', 'premium-rate (084x), GB'],
    ['+33 810 12 34 56', 'shared-cost, FR'],
    ['+39 848 123 456', 'shared-cost, IT'],
    ['0800 123 456', 'toll-free, TW'],
    ['+886 2 2345 6789', 'fixed line, TW'],
  ])('refuses %s (%s): no code goes to a number that is not a mobile', (written) => {
    expect(parsePhoneNumber(written, { defaultRegion: 'TW', allowedCountries: ['TW', 'US', 'GB', 'FR', 'IT'] })).toEqual({ ok: false, reason: 'not-mobile' });
  });

  it.each([
    ['+1 650 253 0000', 'US'],
    ['+81 90 1234 5678', 'JP'],
    ['+86 138 0013 8000', 'CN'],
    ['+1 876 555 1234', 'JM'],
  ])('refuses %s (%s) outside allowed_countries', (written) => {
    expect(parsePhoneNumber(written, TW)).toEqual({ ok: false, reason: 'country' });
  });

  it('without a default region, a number needs its country code', () => {
    expect(parsePhoneNumber('0912345678', { allowedCountries: ['TW'] }).ok).toBe(false);
    expect(parsePhoneNumber('+886912345678', { allowedCountries: ['TW'] })).toMatchObject({ ok: true, e164: '+886912345678' });
  });

  it('masks all but the last three digits', () => {
    expect(maskPhoneNumber('+886912345678')).toBe('•••• 678');
  });
});
