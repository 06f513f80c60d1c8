import type { Config } from '../../config/schema.js';
import type { Kv } from '../../kv/kv.js';
import type { OtpDevice, OtpKind, Storage } from '../../storage/storage.js';
import type { Factor, FactorDevice, VerifyResult } from '../factor.js';
import { claimOtpUse, otpClaimTtlSeconds } from './claim-otp-use.js';
import { normalizeCode } from './normalize-code.js';
import { driftSeconds, exceedsDriftWarning, learnDrift, maxDriftSteps } from './totp-drift.js';
import { verifyHotp } from './verify-hotp.js';
import { verifyTotp } from './verify-totp.js';

type SecondFactorsConfig = Config['second_factors'];

export function toFactorDevice(device: OtpDevice): FactorDevice {
  return { id: device.id, kind: device.kind, name: device.name, createdAt: device.createdAt, lastUsedAt: device.lastUsedAt };
}

/**
 * Authenticator apps and OATH hardware tokens as a second factor of one kind ("totp" or "hotp").
 * A code is accepted once: the step (TOTP) is claimed in Redis and the device's replay floor or
 * counter is moved with a compare-and-set, so parallel submissions of one code give one success.
 */
export function createOtpFactor(deps: { storage: Storage; kv: Kv }, options: { kind: OtpKind; config: SecondFactorsConfig }): Factor {
  const { totp, hotp } = options.config;

  async function candidates(username: string, deviceId: string | undefined): Promise<OtpDevice[]> {
    if (deviceId !== undefined) {
      const device = await deps.storage.otpDevices.get(deviceId);
      return device && device.username === username && device.confirmed && device.kind === options.kind ? [device] : [];
    }
    return (await deps.storage.otpDevices.listForUser(username)).filter((d) => d.confirmed && d.kind === options.kind);
  }

  async function verifyOne(device: OtpDevice, code: string, now: number): Promise<VerifyResult> {
    if (device.kind === 'hotp') {
      const result = verifyHotp({ secret: device.secret, code, counter: device.counter, lookAhead: hotp.look_ahead, digits: device.digits, algorithm: device.algorithm });
      if (!result.ok) return { ok: false, reason: 'invalid-code' };
      const stored = await deps.storage.otpDevices.recordUse(device.id, { expectedCounter: device.counter, counter: result.nextCounter }, now);
      return stored ? { ok: true, device: toFactorDevice({ ...device, lastUsedAt: now }) } : { ok: false, reason: 'replayed' };
    }
    const maxSteps = maxDriftSteps(totp.max_drift, device.period);
    const result = verifyTotp({
      secret: device.secret,
      code,
      now,
      period: device.period,
      digits: device.digits,
      algorithm: device.algorithm,
      window: totp.window,
      driftSteps: device.driftSteps,
      maxDriftSteps: maxSteps,
      lastStep: device.lastStep,
    });
    if (!result.ok) return result;
    if (!(await claimOtpUse(deps.kv, device.id, result.step, otpClaimTtlSeconds({ period: device.period, window: totp.window + maxSteps })))) {
      return { ok: false, reason: 'replayed' };
    }
    const drift = learnDrift({ driftSteps: device.driftSteps, offsetSteps: result.offsetSteps, maxDriftSteps: maxSteps });
    const stored = await deps.storage.otpDevices.recordUse(device.id, { expectedLastStep: device.lastStep, lastStep: result.step, driftSteps: drift }, now);
    if (!stored) return { ok: false, reason: 'replayed' };
    const warning = exceedsDriftWarning(drift, device.period, totp.drift_warning) ? { kind: 'clock-drift' as const, seconds: driftSeconds(drift, device.period) } : undefined;
    return { ok: true, device: toFactorDevice({ ...device, lastUsedAt: now }), warning };
  }

  return {
    kind: options.kind,
    async listDevices(username) {
      return (await candidates(username, undefined)).map(toFactorDevice);
    },
    async verify({ username, deviceId, response, now }) {
      const devices = await candidates(username, deviceId);
      if (devices.length === 0) return { ok: false, reason: 'no-device' };
      let sawReplay = false;
      let sawWellFormed = false;
      for (const device of devices) {
        const normalized = normalizeCode(response, device.digits);
        if (!normalized.ok) continue;
        sawWellFormed = true;
        const result = await verifyOne(device, normalized.code, now);
        if (result.ok) return result;
        if (result.reason === 'replayed') sawReplay = true;
      }
      if (!sawWellFormed) return { ok: false, reason: 'malformed' };
      return { ok: false, reason: sawReplay ? 'replayed' : 'invalid-code' };
    },
    async remove(username, deviceId) {
      const device = await deps.storage.otpDevices.get(deviceId);
      if (!device || device.username !== username || device.kind !== options.kind) return false;
      // A hardware token goes back to the pool; an app's secret is gone for good.
      return device.serial !== null ? deps.storage.otpDevices.unassign(device.serial) : deps.storage.otpDevices.remove(device.id);
    },
  };
}
