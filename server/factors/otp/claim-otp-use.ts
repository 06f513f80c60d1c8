import type { Kv } from '../../kv/kv.js';

/**
 * Claims one time step (TOTP) or counter value (HOTP) of one device, once: true for exactly
 * one caller, however many race, on every instance sharing the Kv. It closes the gap between
 * reading the device's replay floor and writing it back; the durable floor (recordUse's
 * compare-and-set on lastStep/counter) keeps refusing the code after the claim expires.
 *
 * A claim that timed out may still have been written (see Kv): the caller must treat the
 * StoreUnavailableError as a refusal, never retry it as if nothing happened.
 */
export async function claimOtpUse(kv: Kv, deviceId: string, step: number, ttlSeconds: number): Promise<boolean> {
  if (deviceId.length === 0 || deviceId.includes(':')) throw new RangeError('deviceId must be non-empty and free of ":"');
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step must be a non-negative safe integer, got ${step}`);
  return kv.setIfAbsent(`otp-used:${deviceId}:${step}`, '1', ttlSeconds, { replicated: true });
}

/**
 * How long a TOTP claim must live: as long as its step can still be accepted — the
 * 2·window + 1 steps it sits in some verification window — plus one step for the learned
 * drift moving by one meanwhile.
 */
export function otpClaimTtlSeconds(options: { period: number; window: number }): number {
  return (2 * options.window + 2) * options.period;
}
