import type { AuditLog } from '../../audit/create-audit-log.js';
import type { Regulator } from '../../regulation/regulator.js';
import type { Session } from '../../session/session.js';
import type { SessionStore } from '../../session/session-store.js';
import type { Storage } from '../../storage/storage.js';
import type { RequestMeta } from './push-deps.js';
import type { RedeemResult } from './redeem-approval.js';

export type PushSignInResult = { ok: true; token: string; session: Session } | { ok: false; reason: Exclude<RedeemResult, { ok: true }>['reason'] };

/**
 * The last step of "Approve on my phone": redeems the approved approval once and records the
 * push factor in the session under a new id, as every other second factor does.
 */
export async function completePushSignIn(
  deps: {
    redeem: (approvalId: string, sessionId: string | undefined) => Promise<RedeemResult>;
    sessions: SessionStore;
    storage: Storage;
    regulator: Regulator;
    audit: AuditLog;
    now: () => number;
    onResult?: (factor: string, result: 'success' | 'failure') => void;
  },
  input: { token: string; session: Session; approvalId: string } & RequestMeta,
): Promise<PushSignInResult> {
  const username = input.session.user.username;
  const redeemed = await deps.redeem(input.approvalId, deps.sessions.idOf(input.token));
  if (!redeemed.ok) {
    if (redeemed.reason !== 'pending') deps.onResult?.('push', 'failure');
    return redeemed;
  }
  const device = redeemed.record.deviceId;
  const used = { kind: 'push' as const, at: deps.now(), device };
  const rotated = await deps.sessions.rotate(input.token, (s) => ({ ...s, factors: [...s.factors.filter((f) => f.kind !== 'push'), used] }));
  if (!rotated) return { ok: false, reason: 'expired' };
  await deps.storage.userState.setLastUsed(username, 'push', device);
  await deps.regulator.recordSuccess({ username, kind: 'push', ip: input.clientIp });
  await deps.audit.record({ kind: 'second_factor.success', subject: username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: redeemed.record.site, details: { factor: 'push', device, approval: input.approvalId }, message: 'second factor accepted' });
  deps.onResult?.('push', 'success');
  return { ok: true, token: rotated.token, session: rotated.session };
}
