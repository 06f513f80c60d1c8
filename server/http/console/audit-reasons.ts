import type { VerifyFailure } from '../../factors/factor.js';
import type { AppLockFailure } from '../../factors/push/app-lock.js';
import type { RedeemResult as PushRedeemResult } from '../../factors/push/redeem-approval.js';
import type { AuthenticationFailure } from '../../factors/webauthn/verify-authentication.js';
import type { RegistrationFailure } from '../../factors/webauthn/verify-registration.js';
import type { RedeemResult as EnrollmentRedeemResult } from '../../enrollment/enrollment-codes.js';
import type { SecondFactorFailure } from '../../sign-in/complete-second-factor.js';

/**
 * Each union of reasons the server records in audit events, listed whole: `satisfies` makes a
 * reason added to one of these types fail to compile until it is listed here, and the locale
 * test then asks for its words (console.reason.<code>, en and zh-TW).
 */
const every =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)) =>
    list;

const FROM_TYPES = [
  ...every<VerifyFailure>()(['invalid-code', 'replayed', 'malformed', 'no-device', 'denied', 'expired', 'pending', 'locked']),
  ...every<SecondFactorFailure>()(['invalid-code', 'replayed', 'malformed', 'no-device', 'denied', 'expired', 'pending', 'locked', 'throttled']),
  ...every<AuthenticationFailure>()([
    'too-large',
    'malformed',
    'challenge-expired',
    'challenge-mismatch',
    'wrong-type',
    'wrong-origin',
    'unknown-credential',
    'wrong-user',
    'user-handle-mismatch',
    'wrong-rp-id',
    'user-presence-required',
    'user-verification-required',
    'backup-flags',
    'synced-not-allowed',
    'aaguid-not-allowed',
    'verification-failed',
    'counter-regression',
    'concurrent-use',
  ]),
  ...every<RegistrationFailure>()([
    'invalid-name',
    'too-large',
    'malformed',
    'challenge-expired',
    'challenge-mismatch',
    'wrong-type',
    'wrong-origin',
    'wrong-rp-id',
    'user-presence-required',
    'user-verification-required',
    'backup-flags',
    'synced-not-allowed',
    'unsupported-algorithm',
    'aaguid-not-allowed',
    'duplicate',
    'verification-failed',
  ]),
  ...every<Extract<PushRedeemResult, { ok: false }>['reason']>()(['not_found', 'pending', 'denied', 'expired', 'locked']),
  ...every<Extract<EnrollmentRedeemResult, { ok: false }>['reason']>()(['expired_or_used', 'invalid']),
  ...every<AppLockFailure>()(['app_lock_refused']),
] as const;

/** Reasons written as literals where they are recorded (sign-in, regulation, push, codes, notifications, directory changes). */
const LITERALS = [
  // sign-in.ts
  'invalid-credentials',
  'address-throttled',
  'account-state',
  'busy',
  'passwordless-not-allowed',
  'passkey-refused',
  'disabled',
  // regulation: a lock's cause, a ban's scope
  'failures',
  'not_me',
  'admin',
  'account',
  'address',
  // push
  'wrong_numbers',
  'push_suspended',
  'app_lock_required',
  // sent codes and the user's own SMS number
  'no-destination',
  'cooldown',
  'rate-limited',
  'unbound',
  'no-code',
  'address-refused',
  'smtp-failed',
  'invalid',
  'not-mobile',
  'country',
  'directory',
  'has-number',
  // notifications not sent
  'bad-address',
  'smtp',
  'queue-full',
  // sessions ended, directory changes
  'directory-change',
  'user',
  'users-file',
  'ldap',
] as const;

export const AUDIT_REASONS: readonly string[] = [...new Set<string>([...FROM_TYPES, ...LITERALS])];

/** Events whose reason is an administrator's own words (admin.disable), shown as written. */
export const FREE_TEXT_REASON_KINDS: ReadonlySet<string> = new Set(['admin.disable']);
