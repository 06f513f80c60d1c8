import { describeUserAgent } from './describe-user-agent.js';
import { toApproval, type ApprovalRecord } from './push-approvals.js';
import { isPushSuspended, type PushDeps, type RequestMeta } from './push-deps.js';

export type RequestApprovalResult = { ok: true; record: ApprovalRecord } | { ok: false; reason: 'no-device' | 'suspended' | 'rate_limited' | 'throttled' | 'locked' };

/**
 * "Approve on my phone": a pending approval bound to this sign-in session, with a 2-digit number
 * the user must carry to the phone. Refused while regulation refuses push attempts (asked with
 * `check`: a request verifies nothing, like sending a code; the answer and the redemption are the
 * attempts), while push is suspended after "This wasn't me", and beyond push.max_requests per
 * window (push bombing). A new request resets nothing: failures stay counted.
 */
export async function requestApproval(
  deps: PushDeps,
  input: { username: string; deviceId: unknown; sessionId: string; site: string } & RequestMeta,
  scheduleExpiry: (record: ApprovalRecord) => void,
): Promise<RequestApprovalResult> {
  const { username } = input;
  // Regulation first: a banned address or a refused account gets that one answer, whatever the device or suspension.
  const verdict = await deps.regulator.check({ username, kind: 'push', ip: input.clientIp });
  if (!verdict.ok) return { ok: false, reason: verdict.reason };
  const device = typeof input.deviceId === 'string' && input.deviceId.length <= 64 ? await deps.storage.pushDevices.get(input.deviceId) : undefined;
  if (!device || device.username !== username) return { ok: false, reason: 'no-device' };
  if (await isPushSuspended(deps.kv, username)) return { ok: false, reason: 'suspended' };
  const count = await deps.kv.increment(`push:requests:${username}`, deps.config.request_window);
  if (count > deps.config.max_requests) return { ok: false, reason: 'rate_limited' };

  const now = deps.clock.now();
  const record = await deps.approvals.create(
    { username, deviceId: device.id, sessionId: input.sessionId, site: input.site, ip: input.clientIp, ...describeUserAgent(input.userAgent) },
    now,
    deps.config.ttl,
  );
  scheduleExpiry(record);
  await deps.audit.record({
    kind: 'push.requested',
    subject: username,
    clientIp: input.clientIp,
    userAgent: input.userAgent,
    requestId: input.requestId,
    site: input.site,
    details: { device: device.id, approval: record.approvalId },
    message: 'push approval requested',
  });
  const approval = toApproval(record);
  await deps.channel
    .publish(device.id, { event: 'approval', data: approval })
    .catch((error: unknown) => deps.logger.warn({ err: (error as Error).message }, 'push live channel publish failed'));
  if (deps.sender && device.subscription) {
    // In the background: the sign-in page shows the number at once; the live channel may be faster anyway.
    const sender = deps.sender;
    void sender.deliver(device.subscription, { type: 'approval', approval }, deps.config.ttl).then(async (result) => {
      if (!result.ok && result.gone) await deps.storage.pushDevices.updateSubscription(device.id, null).catch(() => undefined);
      if (!result.ok) deps.logger.warn({ device: device.id, status: result.status }, 'web push not accepted by the push service');
    });
  }
  return { ok: true, record };
}
