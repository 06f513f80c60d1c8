import { describe, expect, it } from 'vitest';
import type { FactorUse, Session } from '../../session/session.js';
import { decideConsoleAccess } from './console-access.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

function session(groups: string[], factors: FactorUse[]): Session {
  return {
    user: { username: 'u', displayName: 'U', email: '', groups },
    factors,
    createdAt: NOW - 60 * MINUTE,
    lastActiveAt: NOW,
    expiresAt: NOW + 60 * MINUTE,
    idleSeconds: 3600,
    rememberMe: false,
    csrf: 'c'.repeat(43),
  };
}
const password: FactorUse = { kind: 'password', at: NOW - 30 * MINUTE };
const totp = (ageMinutes: number): FactorUse => ({ kind: 'totp', at: NOW - ageMinutes * MINUTE });
const sent = (kind: 'email_otp' | 'sms_otp', ageMinutes: number): FactorUse => ({ kind, at: NOW - ageMinutes * MINUTE });
const passkey = (ageMinutes: number, userVerified: boolean): FactorUse => ({ kind: 'webauthn', at: NOW - ageMinutes * MINUTE, userVerified });
const options = { adminGroup: 'admins', auditorGroup: 'auditors' as string | undefined, now: NOW, freshFactorAgeSeconds: 600, passwordless: false };

describe('decideConsoleAccess', () => {
  it.each([
    ['an administrator with a fresh TOTP', ['admins'], [password, totp(1)], options, { kind: 'allowed', role: 'admin' }],
    ['an auditor with a fresh TOTP', ['auditors'], [password, totp(1)], options, { kind: 'allowed', role: 'auditor' }],
    ['a member of both groups: administrator', ['auditors', 'admins'], [password, totp(1)], options, { kind: 'allowed', role: 'admin' }],
    ['an administrator at exactly the limit', ['admins'], [password, totp(9.99)], options, { kind: 'allowed', role: 'admin' }],
    ['an administrator with a stale TOTP', ['admins'], [password, totp(11)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['an auditor with a stale TOTP', ['auditors'], [password, totp(11)], options, { kind: 'needs-fresh-factor', role: 'auditor' }],
    ['an administrator with a password only', ['admins'], [password], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['an administrator with a factor dated in the future', ['admins'], [password, totp(-5)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['a passkey alone, passwordless off', ['admins'], [passkey(1, true)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['a verified passkey alone, passwordless on', ['admins'], [passkey(1, true)], { ...options, passwordless: true }, { kind: 'allowed', role: 'admin' }],
    ['an unverified passkey alone, passwordless on', ['admins'], [passkey(1, false)], { ...options, passwordless: true }, { kind: 'needs-fresh-factor', role: 'admin' }],
    // A code sent to a mailbox or a phone proves access to those, not the administrator: as for changing one's own sign-in methods.
    ['an administrator with a fresh email code', ['admins'], [password, sent('email_otp', 1)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['an administrator with a fresh SMS code', ['admins'], [password, sent('sms_otp', 1)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['an auditor with a fresh SMS code', ['auditors'], [password, sent('sms_otp', 1)], options, { kind: 'needs-fresh-factor', role: 'auditor' }],
    ['an SMS code after a stale TOTP', ['admins'], [password, totp(11), sent('sms_otp', 1)], options, { kind: 'needs-fresh-factor', role: 'admin' }],
    ['a fresh TOTP after an SMS code', ['admins'], [password, sent('sms_otp', 5), totp(1)], options, { kind: 'allowed', role: 'admin' }],
    ['someone in neither group, fresh', ['dev'], [password, totp(1)], options, { kind: 'forbidden' }],
    ['someone in neither group, stale: forbidden, not asked for a factor', ['dev'], [password], options, { kind: 'forbidden' }],
    ['an auditor group not configured', ['auditors'], [password, totp(1)], { ...options, auditorGroup: undefined }, { kind: 'forbidden' }],
    ['a group named like the admin group in another case', ['Admins'], [password, totp(1)], options, { kind: 'forbidden' }],
    ['no groups', [], [password, totp(1)], options, { kind: 'forbidden' }],
  ] as const)('%s', (_name, groups, factors, opts, expected) => {
    expect(decideConsoleAccess(session([...groups], [...factors]), opts)).toEqual(expected);
  });
});
