import type { Storage } from '../../storage/storage.js';
import { parseDeviceName } from './push-wire.js';

export type RenamePushDeviceResult = { ok: true; name: string } | { ok: false; reason: 'invalid-name' | 'not-found' };

/**
 * "Rename" of a phone on My sign-in methods: the same rule for a name as when the phone named
 * itself (1–64 characters, no control characters), and only the user's own phone. Its
 * offline-code device takes the new name with it (storage does both at once).
 */
export async function renamePushDevice(storage: Pick<Storage, 'pushDevices'>, input: { username: string; deviceId: unknown; name: unknown }): Promise<RenamePushDeviceResult> {
  const name = parseDeviceName(input.name);
  if (name === undefined) return { ok: false, reason: 'invalid-name' };
  if (typeof input.deviceId !== 'string' || input.deviceId.length > 64) return { ok: false, reason: 'not-found' };
  const device = await storage.pushDevices.get(input.deviceId);
  if (!device || device.username !== input.username) return { ok: false, reason: 'not-found' };
  return (await storage.pushDevices.rename(device.id, name)) ? { ok: true, name } : { ok: false, reason: 'not-found' };
}
