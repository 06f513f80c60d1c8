import type { Entry } from 'ldapts';
import { firstValue } from './entry-values.js';

/** What the directory says about an account, read from its entry by the service account. */
export interface AccountState {
  /** AD userAccountControl ACCOUNTDISABLE (0x2); FreeIPA nsAccountLock. */
  disabled: boolean;
  /** AD accountExpires, FreeIPA krbPrincipalExpiration in the past. */
  accountExpired: boolean;
  /** AD lockout (computed bit 0x10, else lockoutTime); ppolicy pwdAccountLockedTime. */
  locked: boolean;
  /** AD computed PASSWORD_EXPIRED (0x800000); FreeIPA krbPasswordExpiration in the past. */
  passwordExpired: boolean;
  /** AD pwdLastSet = 0 ("must change at next logon"); ppolicy pwdReset (reset by an administrator). */
  mustChange: boolean;
  /** When the password was last set, as the directory writes it: a change ends the user's sessions. */
  passwordMark: string | null;
}

const ACCOUNTDISABLE = 0x2;
const LOCKOUT = 0x10;
const PASSWORD_EXPIRED = 0x800000;
/** accountExpires of 0 or this (2^63 - 1) means never. */
const NEVER = 9223372036854775807n;
/** Seconds between 1601-01-01 (Windows FILETIME epoch) and 1970-01-01. */
const FILETIME_EPOCH_OFFSET_MS = 11644473600000n;

export function readAccountState(entry: Entry, now: number): AccountState {
  const uac = integer(firstValue(entry, 'userAccountControl'));
  const computed = integer(firstValue(entry, 'msDS-User-Account-Control-Computed'));
  const accountExpires = filetimeMs(firstValue(entry, 'accountExpires'));
  const lockoutTime = integer(firstValue(entry, 'lockoutTime'));
  const pwdLastSet = firstValue(entry, 'pwdLastSet');
  const krbPrincipalExpiration = generalizedTimeMs(firstValue(entry, 'krbPrincipalExpiration'));
  const krbPasswordExpiration = generalizedTimeMs(firstValue(entry, 'krbPasswordExpiration'));
  return {
    disabled: hasBit(uac, ACCOUNTDISABLE) || /^true$/i.test(firstValue(entry, 'nsAccountLock') ?? ''),
    accountExpired: (accountExpires !== undefined && accountExpires <= now) || (krbPrincipalExpiration !== undefined && krbPrincipalExpiration <= now),
    // The computed bit knows the lockout duration; a bare lockoutTime may be an expired lock.
    locked: computed !== undefined ? hasBit(computed, LOCKOUT) : (lockoutTime ?? 0) > 0 || firstValue(entry, 'pwdAccountLockedTime') !== undefined,
    passwordExpired: hasBit(computed, PASSWORD_EXPIRED) || (krbPasswordExpiration !== undefined && krbPasswordExpiration <= now),
    mustChange: pwdLastSet === '0' || /^true$/i.test(firstValue(entry, 'pwdReset') ?? ''),
    passwordMark: markOf(entry),
  };
}

function markOf(entry: Entry): string | null {
  for (const attribute of ['pwdLastSet', 'pwdChangedTime', 'krbLastPwdChange']) {
    const value = firstValue(entry, attribute);
    if (value !== undefined) return `${attribute}=${value}`;
  }
  return null;
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d{1,20}$/.test(text.trim())) return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}

/** Bit tests on the low 32 bits, where AD keeps its flags (an unsigned value may exceed 2^31). */
function hasBit(value: number | undefined, bit: number): boolean {
  return value !== undefined && (BigInt.asUintN(32, BigInt(Math.trunc(value))) & BigInt(bit)) !== 0n;
}

/** A Windows FILETIME (100 ns since 1601) as ms since 1970; undefined for 0, "never" or junk. */
export function filetimeMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,20}$/.test(text.trim())) return undefined;
  const value = BigInt(text.trim());
  if (value === 0n || value >= NEVER) return undefined;
  return Number(value / 10000n - FILETIME_EPOCH_OFFSET_MS);
}

/** LDAP GeneralizedTime ("20260101120000Z", fractions allowed) as ms since 1970. */
export function generalizedTimeMs(text: string | undefined): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?Z$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
}

/** A Windows FILETIME for `ms` (for tests and the AD-like test directory). */
export function toFiletime(ms: number): string {
  return ((BigInt(ms) + FILETIME_EPOCH_OFFSET_MS) * 10000n).toString();
}
