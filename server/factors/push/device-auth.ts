import { createHash } from 'node:crypto';
import { hashToken } from '../../core/random.js';
import type { PushDevice } from '../../storage/storage.js';
import type { PushDeps } from './push-deps.js';
import { loadSpki, verifyDeviceSignature } from './push-wire.js';

export interface DeviceCredentials {
  id: string;
  t: number;
  sig: string;
}

/** Companion clocks are corrected by the learned offset; further off than this is a replay or a bug. */
const MAX_SKEW_MS = 60_000;
const SEEN_SIGNATURE_SECONDS = 120;
const HEADER = /^Gatehouse-Device id=([A-Za-z0-9_-]{1,64}), ?t=(\d{1,15}), ?sig=([A-Za-z0-9_-]{86})$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const T = /^\d{1,15}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;

/** `Authorization: Gatehouse-Device id=…,t=…,sig=…`. */
export function parseDeviceAuthorization(header: unknown): DeviceCredentials | undefined {
  const match = typeof header === 'string' ? HEADER.exec(header) : null;
  return match ? { id: match[1]!, t: Number(match[2]), sig: match[3]! } : undefined;
}

/** The same three values as query parameters (EventSource sends no headers). */
export function parseDeviceQuery(query: Record<string, unknown>): DeviceCredentials | undefined {
  const { id, t, sig } = query;
  if (typeof id !== 'string' || typeof t !== 'string' || typeof sig !== 'string' || !ID.test(id) || !T.test(t) || !SIG.test(sig)) return undefined;
  return { id, t: Number(t), sig };
}

/** The text a device signs for one request. */
export function deviceRequestText(method: string, path: string, t: number, body: Buffer): string {
  return `gatehouse-device-v1\n${method}\n${path}\n${t}\n${createHash('sha256').update(body).digest('base64url')}`;
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
  const text = deviceRequestText(input.method, input.path, credentials.t, input.body);
  if (!device || !key || !verifyDeviceSignature(key, text, credentials.sig)) return { ok: false };
  // Keyed on what was signed, not on the signature bytes: an ECDSA signature has a second valid spelling (s → n−s).
  if (!(await deps.kv.setIfAbsent(`push:seen:${hashToken(`${device.id}\n${text}`)}`, '1', SEEN_SIGNATURE_SECONDS))) return { ok: false };
  await deps.storage.pushDevices.recordSeen(device.id, credentials.t - now, now);
  return { ok: true, device };
}
