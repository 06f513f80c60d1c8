import { describe, expect, it } from 'vitest';
import type { Session } from '../session/session.js';
import { decideEnrollment, hasFreshSecondFactor } from './enrollment-policy.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const MIN = 60_000;

function session(extra: Partial<Session> = {}): Session {
  return {
    user: { username: 'alice', displayName: 'Alice', email: 'a@corp.example', groups: [] },
    factors: [{ kind: 'password', at: NOW - MIN }],
    createdAt: NOW - MIN,
    lastActiveAt: NOW,
    expiresAt: NOW + 60 * MIN,
    idleSeconds: 3600,
    rememberMe: false,
    csrf: 'x',
    ...extra,
  };
}

const cases = [
  { name: 'has factors, password only', s: session(), hasFactors: true, trusted: false, expected: 'needs-fresh-factor' },
  { name: 'has factors, password only, from a trusted network', s: session(), hasFactors: true, trusted: true, expected: 'needs-fresh-factor' },
  { name: 'has factors, an enrollment code redeemed', s: session({ enrollmentAllowedUntil: NOW + MIN }), hasFactors: true, trusted: false, expected: 'needs-fresh-factor' },
  {
    name: 'has factors, TOTP 9 minutes ago',
    s: session({
      factors: [
        { kind: 'password', at: NOW - 10 * MIN },
        { kind: 'totp', at: NOW - 9 * MIN },
      ],
    }),
    hasFactors: true,
    trusted: false,
    expected: 'allowed',
  },
  {
    name: 'has factors, TOTP 11 minutes ago',
    s: session({
      factors: [
        { kind: 'password', at: NOW - 12 * MIN },
        { kind: 'totp', at: NOW - 11 * MIN },
      ],
    }),
    hasFactors: true,
    trusted: false,
    expected: 'needs-fresh-factor',
  },
  { name: 'no factor, password only', s: session(), hasFactors: false, trusted: false, expected: 'needs-proof' },
  { name: 'no factor, fresh password is not proof', s: session({ factors: [{ kind: 'password', at: NOW }] }), hasFactors: false, trusted: false, expected: 'needs-proof' },
  { name: 'no factor, from a trusted network', s: session(), hasFactors: false, trusted: true, expected: 'allowed' },
  { name: 'no factor, code redeemed, still valid', s: session({ enrollmentAllowedUntil: NOW + 1 }), hasFactors: false, trusted: false, expected: 'allowed' },
  { name: 'no factor, code redeemed, lapsed', s: session({ enrollmentAllowedUntil: NOW }), hasFactors: false, trusted: false, expected: 'needs-proof' },
] as const;

describe('decideEnrollment', () => {
  it.each(cases)('$name → $expected', (c) => {
    const decision = decideEnrollment({ session: c.s, hasFactors: c.hasFactors, now: NOW, freshFactorAgeSeconds: 600, isTrustedNetwork: c.trusted });
    expect(decision.kind).toBe(c.expected);
  });
});

describe('hasFreshSecondFactor', () => {
  it.each([
    { name: 'password only, just now', factors: [{ kind: 'password', at: NOW }], fresh: false },
    { name: 'TOTP exactly 10 minutes ago', factors: [{ kind: 'totp', at: NOW - 10 * MIN }], fresh: true },
    { name: 'TOTP 10 minutes and 1 ms ago', factors: [{ kind: 'totp', at: NOW - 10 * MIN - 1 }], fresh: false },
    {
      name: 'an old passkey and a fresh recovery code',
      factors: [
        { kind: 'webauthn', at: NOW - 60 * MIN },
        { kind: 'recovery_code', at: NOW - MIN },
      ],
      fresh: true,
    },
    { name: 'push a moment ago, as another instance whose clock runs ahead wrote it', factors: [{ kind: 'push', at: NOW + 200 }], fresh: true },
    { name: 'no factors at all', factors: [], fresh: false },
    { name: 'an email code just now: a mailbox never confirms a change of sign-in methods', factors: [{ kind: 'email_otp', at: NOW }], fresh: false },
    { name: 'an SMS code just now', factors: [{ kind: 'sms_otp', at: NOW }], fresh: false },
    {
      name: 'an SMS code now and TOTP 11 minutes ago',
      factors: [
        { kind: 'totp', at: NOW - 11 * MIN },
        { kind: 'sms_otp', at: NOW },
      ],
      fresh: false,
    },
  ] as const)('$name → $fresh', ({ factors, fresh }) => {
    expect(hasFreshSecondFactor(session({ factors: [...factors] }), NOW, 600)).toBe(fresh);
  });
});
