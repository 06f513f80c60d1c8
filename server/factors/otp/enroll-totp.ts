import type { Config } from '../../config/schema.js';
import type { Kv } from '../../kv/kv.js';
import type { OtpDevice, Storage } from '../../storage/storage.js';
import { encodeBase32 } from './base32.js';
import { claimOtpUse, otpClaimTtlSeconds } from './claim-otp-use.js';
import { normalizeCode } from './normalize-code.js';
import { generateOtpSecret } from './otp-secret.js';
import { otpauthUri } from './otpauth-uri.js';
import { qrCodeSvg } from './qr-code-svg.js';
import { verifyTotp } from './verify-totp.js';

/** An enrollment not confirmed within this time is dropped and must start again. */
export const PENDING_ENROLLMENT_MS = 15 * 60_000;

export interface TotpEnrollmentView {
  device: OtpDevice;
  qrDataUri: string;
  secretGroups: string[];
  uri: string;
}

type TotpConfig = Config['second_factors']['totp'];

/** Creates an unconfirmed authenticator-app device and what the enrollment page shows for it. */
export async function startTotpEnrollment(storage: Storage, input: { username: string; name: string; config: TotpConfig; now: number }): Promise<TotpEnrollmentView> {
  const { config } = input;
  // One pending enrollment per user: an abandoned one (the page closed, a second click) goes.
  for (const pending of await storage.otpDevices.listForUser(input.username)) {
    if (!pending.confirmed && pending.kind === 'totp') await storage.otpDevices.remove(pending.id);
  }
  const device = await storage.otpDevices.create(
    {
      username: input.username,
      kind: 'totp',
      name: input.name,
      secret: generateOtpSecret(config.algorithm),
      algorithm: config.algorithm,
      digits: config.digits,
      period: config.period,
      serial: null,
      confirmed: false,
    },
    input.now,
  );
  return describeEnrollment(device, input.username, config.issuer);
}

/** The QR code and key of a pending enrollment (to show the page again after a wrong code). */
export async function describeEnrollment(device: OtpDevice, account: string, issuer: string): Promise<TotpEnrollmentView> {
  const uri = otpauthUri({ issuer, account, secret: device.secret, algorithm: device.algorithm, digits: device.digits, period: device.period });
  const svg = await qrCodeSvg(uri);
  const secret = encodeBase32(device.secret);
  return { device, uri, qrDataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, secretGroups: secret.match(/.{1,4}/g) ?? [] };
}

export type ConfirmResult = { ok: true; device: OtpDevice } | { ok: false; reason: 'invalid-code' | 'malformed' | 'expired' | 'no-device' | 'replayed' };

/**
 * Saves the device only once the user typed a first code from it: proof the app holds the
 * secret. The code counts as used, so it cannot be replayed at sign-in.
 */
export async function confirmTotpEnrollment(
  deps: { storage: Storage; kv: Kv },
  input: { username: string; deviceId: unknown; code: unknown; config: TotpConfig; now: number },
): Promise<ConfirmResult> {
  if (typeof input.deviceId !== 'string') return { ok: false, reason: 'no-device' };
  const device = await deps.storage.otpDevices.get(input.deviceId);
  if (!device || device.username !== input.username || device.confirmed || device.kind !== 'totp') return { ok: false, reason: 'no-device' };
  if (input.now - device.createdAt > PENDING_ENROLLMENT_MS) {
    await deps.storage.otpDevices.remove(device.id);
    return { ok: false, reason: 'expired' };
  }
  const code = normalizeCode(input.code, device.digits);
  if (!code.ok) return { ok: false, reason: 'malformed' };
  const result = verifyTotp({
    secret: device.secret,
    code: code.code,
    now: input.now,
    period: device.period,
    digits: device.digits,
    algorithm: device.algorithm,
    window: input.config.window,
    driftSteps: 0,
    maxDriftSteps: 0,
    lastStep: null,
  });
  if (!result.ok) return { ok: false, reason: 'invalid-code' };
  if (!(await claimOtpUse(deps.kv, device.id, result.step, otpClaimTtlSeconds({ period: device.period, window: input.config.window })))) return { ok: false, reason: 'replayed' };
  await deps.storage.otpDevices.recordUse(device.id, { expectedLastStep: null, lastStep: result.step, driftSteps: 0 }, input.now);
  await deps.storage.otpDevices.confirm(device.id, input.now);
  return { ok: true, device: { ...device, confirmed: true, lastStep: result.step } };
}
