import type { SecondFactorKind } from '../config/schema.js';

/**
 * The contract every second factor plugs into — TOTP/HOTP now, WebAuthn, push and email OTP
 * later — so the sign-in page, step-up and self-service treat them alike.
 */

/** What a user sees of one enrolled device (no secrets). */
export interface FactorDevice {
  id: string;
  kind: SecondFactorKind;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export type VerifyResult =
  | { ok: true; device: FactorDevice; warning?: { kind: 'clock-drift'; seconds: number } }
  | { ok: false; reason: 'invalid-code' | 'replayed' | 'malformed' | 'no-device' | 'throttled' | 'locked' };

export interface Factor {
  kind: SecondFactorKind;
  /** The user's confirmed devices of this kind. */
  listDevices(username: string): Promise<FactorDevice[]>;
  /**
   * Checks a response (an OTP code; later a WebAuthn assertion or push answer) for one device,
   * or any of the user's devices of this kind when deviceId is absent. Atomic against replay.
   */
  verify(input: {
    username: string;
    deviceId?: string;
    response: unknown;
    now: number;
    /** The per-session value a challenge was bound to (WebAuthn); factors without challenges ignore it. */
    binding?: string;
  }): Promise<VerifyResult>;
  /** Removes one device of the user; false if it is not theirs. */
  remove(username: string, deviceId: string): Promise<boolean>;
}
