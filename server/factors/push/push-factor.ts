import type { Storage } from '../../storage/storage.js';
import type { Factor, VerifyFailure } from '../factor.js';
import type { RedeemResult } from './redeem-approval.js';

type RedeemFailure = Extract<RedeemResult, { ok: false }>['reason'];

/** An unknown approval, or another session's, reads as one that is gone: nothing tells them apart. */
const FACTOR_REASON: Record<RedeemFailure, VerifyFailure> = {
  not_found: 'expired',
  expired: 'expired',
  denied: 'denied',
  pending: 'pending',
  locked: 'locked',
};

/**
 * Push approval on the Factor contract: the devices are the enrolled phones, and the response
 * is the id of an approval this session asked for. Verifying redeems it — once, for the session
 * it is bound to (`binding`), approved on the phone with the right number — so the sign-in page
 * completes a push through the same use-case as a typed code.
 */
export function createPushFactor(deps: { storage: Storage; redeem: (approvalId: string, binding: string | undefined) => Promise<RedeemResult> }): Factor {
  return {
    kind: 'push',
    async listDevices(username) {
      return (await deps.storage.pushDevices.listForUser(username)).map((d) => ({
        id: d.id,
        kind: 'push' as const,
        name: d.name,
        createdAt: d.createdAt,
        lastUsedAt: d.lastUsedAt,
      }));
    },
    async verify({ username, response, binding }) {
      if (typeof response !== 'string' || binding === undefined) return { ok: false, reason: 'malformed' };
      const redeemed = await deps.redeem(response, binding);
      if (!redeemed.ok) return { ok: false, reason: FACTOR_REASON[redeemed.reason], detail: redeemed.reason };
      const { record } = redeemed;
      // Bound to the session, and a session is one user's: a mismatch would be a bug, refused all the same.
      if (record.username !== username) return { ok: false, reason: 'expired', detail: 'not_found' };
      const device = await deps.storage.pushDevices.get(record.deviceId);
      return {
        ok: true,
        device: { id: record.deviceId, kind: 'push', name: device?.name ?? '', createdAt: device?.createdAt ?? record.requestedAt, lastUsedAt: device?.lastUsedAt ?? null },
        details: { approval: record.approvalId },
      };
    },
    async remove(username, deviceId) {
      const device = await deps.storage.pushDevices.get(deviceId);
      if (!device || device.username !== username) return false;
      return deps.storage.pushDevices.remove(deviceId);
    },
  };
}
