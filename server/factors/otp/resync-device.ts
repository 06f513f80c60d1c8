import type { Config } from '../../config/schema.js';
import type { OtpDevice, Storage } from '../../storage/storage.js';
import { findDriftedTotp } from './find-drifted-totp.js';
import { normalizeCode } from './normalize-code.js';
import { maxDriftSteps } from './totp-drift.js';
import { resyncHotp } from './verify-hotp.js';

export type ResyncResult =
  | { ok: true; kind: 'hotp'; counter: number }
  | { ok: true; kind: 'totp'; driftSteps: number }
  | { ok: false; reason: 'malformed' | 'invalid-code' | 'replayed' | 'changed' };

/**
 * Resynchronises a device from two consecutive codes: an HOTP token whose counter ran ahead of
 * the look-ahead window, or a TOTP token whose clock drifted past the verify window. Two codes
 * in a row are what makes a wide search safe; one code is never matched that far.
 */
export async function resyncOtpDevice(
  storage: Storage,
  input: { device: OtpDevice; code1: unknown; code2: unknown; config: Config['second_factors']; now: number },
): Promise<ResyncResult> {
  const { device } = input;
  const code1 = normalizeCode(input.code1, device.digits);
  const code2 = normalizeCode(input.code2, device.digits);
  if (!code1.ok || !code2.ok) return { ok: false, reason: 'malformed' };
  if (device.kind === 'hotp') {
    const result = resyncHotp({ secret: device.secret, counter: device.counter, digits: device.digits, algorithm: device.algorithm, code1: code1.code, code2: code2.code });
    if (!result.ok) return { ok: false, reason: 'invalid-code' };
    const stored = await storage.otpDevices.recordUse(device.id, { expectedCounter: device.counter, counter: result.nextCounter }, input.now);
    return stored ? { ok: true, kind: 'hotp', counter: result.nextCounter } : { ok: false, reason: 'changed' };
  }
  const result = findDriftedTotp({
    secret: device.secret,
    code1: code1.code,
    code2: code2.code,
    now: input.now,
    period: device.period,
    digits: device.digits,
    algorithm: device.algorithm,
    searchSteps: maxDriftSteps(input.config.totp.max_drift, device.period),
    lastStep: device.lastStep,
  });
  if (!result.ok) return result;
  const stored = await storage.otpDevices.recordUse(device.id, { expectedLastStep: device.lastStep, lastStep: result.step, driftSteps: result.offsetSteps }, input.now);
  return stored ? { ok: true, kind: 'totp', driftSteps: result.offsetSteps } : { ok: false, reason: 'changed' };
}
