import { createHash } from 'node:crypto';
import { hashToken } from '../../core/random.js';
import type { PushDevice } from '../../storage/storage.js';
import type { PushDeps } from './push-deps.js';
import { loadSpki, verifyDeviceSignature } from './push-wire.js';
import { deviceRequestText, type DeviceCredentials } from '../../../client/companion/push-wire-format.js';

export type { DeviceCredentials };

/** Companion clocks are corrected by the learned offset; further off than this is a replay or a bug. */
const MAX_SKEW_MS = 60_000;
const SEEN_SIGNATURE_SECONDS = 120;

/** The text a device signs for one request (push-wire-format.js), its body hashed. */
export function signedRequestText(input: { method: string; path: string; t: number; body: Buffer }): string {
  return deviceRequestText({ method: input.method, path: input.path, t: input.t, bodyHash: createHash('sha256').update(input.body).digest('base64url') });
}

/**
 * A device-authenticated request: known device, signature over method, path, time and body,
 * time within a minute, and a signed request never seen before (so a captured one cannot be replayed).
 */
export async function authenticateDevice(
  deps: Pick<PushDeps, 'storage' | 'kv' | 'clock'>,
  input: { credentials: DeviceCredentials | undefined; method: string; path: string; body: Buffer },
): Promise<{ ok: true; device: PushDevice } | { ok: false }> {
  const { credentials } = input;
  if (!credentials) return { ok: false };
  const now = deps.clock.now();
  if (Math.abs(credentials.t - now) > MAX_SKEW_MS) return { ok: false };
  const device = await deps.storage.pushDevices.get(credentials.id);
  const key = device && loadSpki(device.publicKey);
  const text = signedRequestText({ method: input.method, path: input.path, t: credentials.t, body: input.body });
  if (!device || !key || !verifyDeviceSignature(key, text, credentials.sig)) return { ok: false };
  // Keyed on what was signed, not on the signature bytes: an ECDSA signature has a second valid spelling (s → n−s).
  if (!(await deps.kv.setIfAbsent(`push:seen:${hashToken(`${device.id}\n${text}`)}`, '1', SEEN_SIGNATURE_SECONDS, { replicated: true }))) return { ok: false };
  await deps.storage.pushDevices.recordSeen(device.id, credentials.t - now, now);
  return { ok: true, device };
}
