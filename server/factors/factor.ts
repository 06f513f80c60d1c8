import type { SecondFactorKind } from '../config/schema.js';

/**
 * The contract every second factor plugs into — authenticator apps and OATH tokens, recovery
 * codes, WebAuthn, push, and the email and SMS codes to come — so that one use-case
 * (sign-in/complete-second-factor.ts) completes them all: regulation, verification, session
 * rotation, last used, audit and metrics happen there, once. A factor only verifies: it never
 * rotates a session, counts a failure or writes an audit event itself.
 */

/** What a user sees of one enrolled device (no secrets). */
export interface FactorDevice {
  id: string;
  kind: SecondFactorKind;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * Why a response was not accepted. `pending` is not a failure: the factor's answer has not come
 * yet (a push approval not answered on the phone), nothing was tried and nothing is counted.
 * `locked` is the account found locked by the factor itself, after regulation let the attempt in
 * (push asks again at redemption): a refusal, not a failed guess.
 */
export type VerifyFailure = 'invalid-code' | 'replayed' | 'malformed' | 'no-device' | 'denied' | 'expired' | 'pending' | 'locked';

export type VerifyResult =
  | {
      ok: true;
      device: FactorDevice;
      /** WebAuthn: whether the authenticator verified the user (PIN, biometrics); recorded in the session. */
      userVerified?: boolean;
      warning?: { kind: 'clock-drift'; seconds: number };
      /** More for the audit event (a push approval's id). */
      details?: Record<string, unknown>;
    }
  /** `detail`: the factor's own, finer reason (WebAuthn's `challenge-expired`, …), for the audit log and the JSON APIs. */
  | { ok: false; reason: VerifyFailure; detail?: string };

export interface VerifyInput {
  username: string;
  /** One device of the user's; absent: any of their devices of this kind. */
  deviceId?: string;
  /** What the browser sent: an OTP or recovery code, a WebAuthn assertion, a push approval's id. */
  response: unknown;
  now: number;
  /**
   * The session's binding (secondFactorBinding): what a challenge (WebAuthn) or an approval
   * (push) was bound to when it was issued. Factors without either ignore it; the ones with
   * refuse a response without it.
   */
  binding?: string;
}

export interface Factor {
  kind: SecondFactorKind;
  /** The user's confirmed devices of this kind. */
  listDevices(username: string): Promise<FactorDevice[]>;
  /** Checks one response for the user. Atomic against replay: a response is accepted once. */
  verify(input: VerifyInput): Promise<VerifyResult>;
  /** Removes one device of the user; false if it is not theirs. */
  remove(username: string, deviceId: string): Promise<boolean>;
}
