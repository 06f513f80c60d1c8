import { REDEEM_GRACE_MS, visibleState, type ApprovalRecord } from './push-approvals.js';
import type { PushDeps } from './push-deps.js';

export type RedeemResult = { ok: true; record: ApprovalRecord } | { ok: false; reason: 'not_found' | 'pending' | 'denied' | 'expired' | 'locked' };

/**
 * The sign-in page turns an approved approval into the push factor, once: same session, approved,
 * not long past its expiry, and the account not locked now (it may have been since the phone
 * answered).
 */
export async function redeemApproval(deps: Pick<PushDeps, 'approvals' | 'regulator' | 'clock'>, approvalId: string, sessionId: string | undefined): Promise<RedeemResult> {
  const record = await deps.approvals.read(approvalId);
  if (!record || sessionId === undefined || record.sessionId !== sessionId) return { ok: false, reason: 'not_found' };
  const now = deps.clock.now();
  const state = visibleState(record, now);
  if (state !== 'approved') return { ok: false, reason: state };
  if (now > record.expiresAt + REDEEM_GRACE_MS) return { ok: false, reason: 'expired' };
  if (await deps.regulator.isLocked(record.username)) return { ok: false, reason: 'locked' };
  if (!(await deps.approvals.claimRedemption(record, now))) return { ok: false, reason: 'expired' };
  return { ok: true, record };
}
