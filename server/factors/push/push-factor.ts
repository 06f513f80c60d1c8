import type { Storage } from '../../storage/storage.js';
import type { Factor } from '../factor.js';

/**
 * Push approval on the Factor contract: the devices are the enrolled phones. There is nothing to
 * verify from a form: a push is completed by redeeming an approved approval (redeem-approval.ts).
 */
export function createPushFactor(deps: { storage: Storage }): Factor {
  return {
    kind: 'push',
    async listDevices(username) {
      return (await deps.storage.pushDevices.listForUser(username)).map((d) => ({ id: d.id, kind: 'push' as const, name: d.name, createdAt: d.createdAt, lastUsedAt: d.lastUsedAt }));
    },
    async verify() {
      return { ok: false, reason: 'malformed' };
    },
    async remove(username, deviceId) {
      const device = await deps.storage.pushDevices.get(deviceId);
      if (!device || device.username !== username) return false;
      return deps.storage.pushDevices.remove(deviceId);
    },
  };
}
