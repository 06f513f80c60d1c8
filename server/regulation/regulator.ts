/**
 * Brute-force regulation: what every factor attempt asks before it is verified and tells
 * after. Counters are sliding windows in the shared store, atomic, so parallel attempts on
 * several instances are all counted. Separate counters per factor kind, per account and per
 * client address, plus an account-wide cap that locks the account. A new challenge never
 * resets anything; a success resets only the counter of its own kind.
 *
 * Attempts in flight count too (`admit`): an attempt is counted when it arrives, as if it
 * had already failed, until it ends. Fifty parallel guesses against a limit of five are then
 * five checks and forty-five refusals, not fifty checks that all finish before the first
 * failure is written.
 */

/** Totp and hotp share "otp": a guess at one is a guess at the other. */
export type AttemptKind = 'password' | 'otp' | 'push' | 'webauthn' | 'recovery_code' | 'email_otp' | 'enrollment_code';

export interface Attempt {
  /** Lower-case username as typed; absent for attempts with no account yet (passwordless). */
  username?: string;
  kind: AttemptKind;
  /** The client address (the first untrusted hop). */
  ip: string;
}

export type RegulationVerdict =
  | { ok: true }
  /**
   * `locked`: the account is locked (every kind refused). `throttled`: this kind is banned for
   * the account, or the address is banned. `retryAfter`: seconds, or null while locked until an
   * administrator unlocks. Callers show one message for both, and for a locked unknown account
   * the same as for a locked real one.
   */
  /** `scope`: whether the account is refused, or only the client address (which reveals nothing about the account). */
  | { ok: false; reason: 'locked' | 'throttled'; scope: 'account' | 'address'; retryAfter: number | null };

export interface LockState {
  locked: boolean;
  /** When the lock ends (ms); null while locked until unlocked, or not locked. */
  until: number | null;
  /** Why: "failures" (the account cap), "not_me" (a push denied as "This wasn't me"), "admin". */
  reason: string | null;
  /** Failures of all kinds in the lockout window. */
  recentFailures: number;
}

/** An attempt as `admit` let it in (or not). */
export interface Admission {
  verdict: RegulationVerdict;
  /**
   * Ends the attempt's count as in flight. Call it once the attempt is over, after its
   * recordFailure or recordSuccess (so that the failure is written before the attempt stops
   * counting), and on every other way out; it never throws. A refused attempt is already
   * released: calling it again does nothing.
   */
  release(): Promise<void>;
}

export interface Regulator {
  /**
   * Asked before issuing something that verifies nothing itself — a WebAuthn challenge, a sent
   * code, a push request — and, once a credential names its account, of that account; refused
   * attempts are not verified and not counted again. A verification uses `admit`.
   */
  check(attempt: Attempt): Promise<RegulationVerdict>;
  /**
   * `check`, and also counts the attempt as in flight until `release`: per client address,
   * per account and kind, and per account. It is refused when the failures in a window plus
   * the attempts in flight, this one included, would pass that window's limit. An attempt
   * refused for its account (a ban, a lock, or its attempts in flight) still counts for its
   * address, since a password attempt is hashed all the same; the address alone decides an
   * `address` refusal, so that answer says nothing about any account. For attempts that may
   * arrive in parallel.
   */
  admit(attempt: Attempt): Promise<Admission>;
  /**
   * Counts one failure in the kind's, the account's and the address's windows; locks the account
   * when its cap is reached (audited once, sessions ended). Returns whether the account is now locked.
   */
  recordFailure(attempt: Attempt): Promise<{ locked: boolean }>;
  /** Resets only this kind's counter of the account; the account-wide and address windows stay. */
  recordSuccess(attempt: Required<Attempt>): Promise<void>;
  /** Whether the account is locked now: asked again when a push approval is redeemed. */
  isLocked(username: string): Promise<boolean>;
  lockState(username: string): Promise<LockState>;
  /** Locks at once (an administrator, or "This wasn't me" with push.on_not_me: lock). */
  lock(username: string, input: { reason: string; actor: string; durationSeconds?: number }): Promise<void>;
  /** Ends a lock and clears the account's counters; false if it was not locked. The caller audits it (admin.unlock). */
  unlock(username: string, input: { actor: string }): Promise<boolean>;
}
