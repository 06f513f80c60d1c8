import type { Session } from '../session/session.js';

export type EnrollmentDecision =
  | { kind: 'allowed'; because: 'fresh-second-factor' | 'enrollment-code' | 'trusted-network' }
  /** Has factors, but none recent enough: confirm with one first (ASVS 7.5.1). */
  | { kind: 'needs-fresh-factor' }
  /** Has no factor yet: prove it is them another way (email code, admin code, trusted network). */
  | { kind: 'needs-proof' };

/**
 * May this session add or remove second factors now? A stolen password alone must never be
 * enough to enroll an attacker's own device.
 */
export function decideEnrollment(input: { session: Session; hasFactors: boolean; now: number; freshFactorAgeSeconds: number; isTrustedNetwork: boolean }): EnrollmentDecision {
  const { session, now } = input;
  if (input.hasFactors) {
    return hasFreshSecondFactor(session, now, input.freshFactorAgeSeconds) ? { kind: 'allowed', because: 'fresh-second-factor' } : { kind: 'needs-fresh-factor' };
  }
  if (session.enrollmentAllowedUntil !== undefined && session.enrollmentAllowedUntil > now) return { kind: 'allowed', because: 'enrollment-code' };
  if (input.isTrustedNetwork) return { kind: 'allowed', because: 'trusted-network' };
  return { kind: 'needs-proof' };
}

/**
 * Factors that never confirm a change of sign-in methods: a code sent to a mailbox or a phone
 * number proves access to those (NIST SP 800-63B: email is no authenticator, SMS a restricted
 * one), and must not let whoever has them replace the user's passkey or app with their own.
 */
export const NOT_FOR_CHANGES: ReadonlySet<string> = new Set(['email_otp', 'sms_otp']);

/** Has this session passed a second factor (anything but the password or a sent code) at most `maxAgeSeconds` ago? */
export function hasFreshSecondFactor(session: Session, now: number, maxAgeSeconds: number): boolean {
  return session.factors.some((f) => f.kind !== 'password' && !NOT_FOR_CHANGES.has(f.kind) && now - f.at <= maxAgeSeconds * 1000);
}
