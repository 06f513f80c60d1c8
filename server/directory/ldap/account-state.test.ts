import { describe, expect, it } from 'vitest';
import { filetimeMs, generalizedTimeMs, readAccountState, toFiletime } from './account-state.js';

const NOW = Date.UTC(2026, 5, 1);
const state = (attributes: Record<string, string | string[]>) => readAccountState({ dn: 'cn=x', ...attributes }, NOW);

describe('readAccountState', () => {
  it('reads a plain account as fine', () => {
    expect(state({ userAccountControl: '512', pwdLastSet: toFiletime(NOW - 86_400_000), accountExpires: '9223372036854775807' })).toEqual({
      disabled: false,
      accountExpired: false,
      locked: false,
      passwordExpired: false,
      mustChange: false,
      passwordMark: `pwdLastSet=${toFiletime(NOW - 86_400_000)}`,
    });
    expect(state({})).toMatchObject({ disabled: false, accountExpired: false, locked: false, passwordExpired: false, mustChange: false, passwordMark: null });
  });

  it.each([
    [{ userAccountControl: '514' }, 'disabled'],
    [{ userAccountControl: String(0x2 | 0x10000) }, 'disabled'],
    // 0x80000000 and above: parsed without losing the low bits.
    [{ userAccountControl: String(0x80000002) }, 'disabled'],
    [{ nsAccountLock: 'TRUE' }, 'disabled'],
    [{ nsAccountLock: 'true' }, 'disabled'],
    [{ accountExpires: toFiletime(NOW - 1000) }, 'accountExpired'],
    [{ krbPrincipalExpiration: '20260101000000Z' }, 'accountExpired'],
    [{ 'msDS-User-Account-Control-Computed': String(0x10) }, 'locked'],
    [{ lockoutTime: '133000000000000000' }, 'locked'],
    [{ pwdAccountLockedTime: '000001010000Z' }, 'locked'],
    [{ 'msDS-User-Account-Control-Computed': String(0x800000) }, 'passwordExpired'],
    [{ krbPasswordExpiration: '20260501000000Z' }, 'passwordExpired'],
    [{ pwdLastSet: '0' }, 'mustChange'],
    [{ pwdReset: 'TRUE' }, 'mustChange'],
  ])('%j → %s', (attributes, flag) => {
    const result = state(attributes);
    expect(result[flag as keyof typeof result]).toBe(true);
    const others = ['disabled', 'accountExpired', 'locked', 'passwordExpired', 'mustChange'].filter((f) => f !== flag);
    for (const other of others) expect(result[other as keyof typeof result]).toBe(false);
  });

  it.each([
    [{ userAccountControl: '512' }],
    [{ nsAccountLock: 'FALSE' }],
    [{ accountExpires: '0' }],
    [{ accountExpires: '9223372036854775807' }],
    [{ accountExpires: toFiletime(NOW + 60_000) }],
    [{ krbPasswordExpiration: '20270101000000Z' }],
    // An old lock the computed bit says is over.
    [{ lockoutTime: '133000000000000000', 'msDS-User-Account-Control-Computed': '0' }],
    [{ lockoutTime: '0' }],
    [{ pwdLastSet: toFiletime(NOW) }],
    [{ pwdReset: 'FALSE' }],
    [{ userAccountControl: 'not a number' }],
    [{ accountExpires: '-1' }],
  ])('%j → nothing wrong', (attributes) => {
    expect(state(attributes)).toMatchObject({ disabled: false, accountExpired: false, locked: false, passwordExpired: false, mustChange: false });
  });

  it('marks the password by whichever time the directory keeps', () => {
    expect(state({ pwdChangedTime: '20260101000000Z' }).passwordMark).toBe('pwdChangedTime=20260101000000Z');
    expect(state({ krbLastPwdChange: '20260101000000Z' }).passwordMark).toBe('krbLastPwdChange=20260101000000Z');
  });
});

describe('time formats', () => {
  it('converts FILETIME both ways', () => {
    expect(filetimeMs(toFiletime(NOW))).toBe(NOW);
    expect(filetimeMs('116444736000000000')).toBe(0);
    expect(filetimeMs('0')).toBeUndefined();
    expect(filetimeMs('x')).toBeUndefined();
  });
  it('reads GeneralizedTime with and without fractions and seconds', () => {
    expect(generalizedTimeMs('20260601000000Z')).toBe(NOW);
    expect(generalizedTimeMs('20260601000000.123456Z')).toBe(NOW);
    expect(generalizedTimeMs('202606010000Z')).toBe(NOW);
    expect(generalizedTimeMs('20260601000000+0200')).toBeUndefined();
  });
});
