import { answerText, appLockChallenge, DECISIONS, type Decision } from '../../../client/companion/push-wire-format.js';
import { verifyAppLockAssertion } from './app-lock.js';
import { visibleState, type ApprovalRecord } from './push-approvals.js';
import { suspendedKey, type PushDeps, type RequestMeta } from './push-deps.js';
import { hasOnlyKeys, isPlainObject, loadSpki, verifyDeviceSignature } from './push-wire.js';

export type AnswerResult =
  | { ok: true; result: 'approved' | 'denied' | 'reported' }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_number' | 'expired' | 'locked' | 'app_lock_required' | 'app_lock_refused' };

/** After this many wrong numbers the approval is denied. */
export const MAX_WRONG_NUMBERS = 3;

/**
 * The phone's answer, signed by the device key that the approval was sent to. Checked in order:
 * shape, approval known (else "expired"), signature (for an answered or expired approval a bad
 * one is "expired" too: one answer for unknown, answered and expired), the answer's single use
 * (a signed answer seen before is refused as bad_signature, right or wrong, counted for nothing),
 * approval still pending, account not locked, then the number. Each way out of "pending" is an
 * atomic claim as well, so two different answers cannot both settle it.
 *
 * The number of an approval is judged only after the signature, and an approval without the
 * right one — missing, empty, null, not a string, not two digits, wrong — is a wrong number:
 * a push failure in regulation and one of the MAX_WRONG_NUMBERS that deny the approval. A
 * malformed approval must not be a free guess. Only a signed answer counts, though: the
 * approval id is no secret (the sign-in page polls it), so counting unsigned answers would
 * let anyone burn the account's failure counter, lock the user out and deny the approval.
 */
export async function answerApproval(deps: PushDeps, approvalId: string, body: unknown, meta: RequestMeta): Promise<AnswerResult> {
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['deviceId', 'decision', 'number', 'time', 'signature', 'appLock'])) return { ok: false, reason: 'malformed' };
  const { deviceId, decision, number, time, signature } = body;
  if (typeof deviceId !== 'string' || !DECISIONS.includes(decision as Decision) || typeof signature !== 'string' || !Number.isSafeInteger(time))
    return { ok: false, reason: 'malformed' };
  // Deny and "This wasn't me" carry no number; they are no guess, so a malformed one is just refused.
  if (decision !== 'approve' && number !== '') return { ok: false, reason: 'malformed' };
  // The signature covers a string number as sent, anything else (absent included) as "".
  const signedNumber = typeof number === 'string' ? number : '';

  const record = await deps.approvals.read(approvalId);
  const now = deps.clock.now();
  if (!record) return { ok: false, reason: 'expired' };
  const text = answerText({ approvalId, decision: decision as Decision, number: signedNumber, time: time as number });
  const device = deviceId === record.deviceId ? await deps.storage.pushDevices.get(deviceId) : undefined;
  const key = device && loadSpki(device.publicKey);
  if (!key || !verifyDeviceSignature(key, text, signature)) {
    // Answered or expired: one answer with unknown, whatever the signature.
    return { ok: false, reason: visibleState(record, now) === 'pending' ? 'bad_signature' : 'expired' };
  }

  const context = {
    subject: record.username,
    clientIp: meta.clientIp,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    site: record.site,
    details: { device: record.deviceId, approval: record.approvalId },
  };
  // Each signed answer is used once, before its approval's state is even looked at: a captured
  // wrong answer sent again must not count again (nor burn the approval's wrong numbers), and a
  // captured right one is refused the same way once the approval is answered.
  const uses = await deps.approvals.useAnswer(record, text, now);
  if (uses > 1) {
    // Audited once per answer: copies sent in a loop must not flood the audit log.
    if (uses === 2) {
      await deps.audit.record({
        kind: 'second_factor.replay',
        ...context,
        level: 'warn',
        result: 'failure',
        reason: 'replayed',
        details: { ...context.details, factor: 'push' },
        message: 'push answer sent again',
      });
    }
    return { ok: false, reason: 'bad_signature' };
  }
  if (visibleState(record, now) !== 'pending') return { ok: false, reason: 'expired' };
  if (await deps.regulator.isLocked(record.username)) return { ok: false, reason: 'locked' };
  // The app lock guards approving only: deny and "This wasn't me" can only refuse, and asking the
  // phone's lock first would slow the user down at the moment they should refuse.
  if (decision === 'approve' && deps.appLock) {
    const checked = await verifyAppLockAssertion(deps, deps.appLock, device, await appLockChallenge(text), body.appLock);
    if (!checked.ok) {
      // A phone enrolled before the lock was required has none: it must be added again.
      const reason = !device.appLock ? 'app_lock_required' : 'app_lock_refused';
      // Signed by the device key, so it is the phone's own answer: counted, like a wrong number.
      await deps.regulator.recordFailure({ username: record.username, kind: 'push', ip: record.ip });
      await deps.audit.record({ kind: 'push.app_lock_refused', ...context, result: 'failure', reason: checked.reason, message: 'push approval without a valid app lock' });
      return { ok: false, reason };
    }
  }
  if (decision === 'approve' && number !== record.number) {
    const wrong = await deps.approvals.countWrongNumber(record, now);
    await deps.regulator.recordFailure({ username: record.username, kind: 'push', ip: record.ip });
    await deps.audit.record({
      kind: 'push.wrong_number',
      ...context,
      result: 'failure',
      details: { ...context.details, attempts: wrong },
      message: 'push approval with a wrong number',
    });
    if (wrong >= MAX_WRONG_NUMBERS && (await settle(deps, record, 'denied', now))) {
      await deps.audit.record({ kind: 'push.denied', ...context, result: 'failure', reason: 'wrong_numbers', message: 'push approval denied after wrong numbers' });
    }
    return { ok: false, reason: 'wrong_number' };
  }
  const state = decision === 'approve' ? 'approved' : decision === 'deny' ? 'denied' : 'not_me';
  if (!(await settle(deps, record, state, now))) return { ok: false, reason: 'expired' };
  await deps.storage.pushDevices.recordUse(record.deviceId, now);
  if (state === 'approved') {
    await deps.audit.record({ kind: 'push.approved', ...context, message: 'push approval approved on the phone' });
    return { ok: true, result: 'approved' };
  }
  if (state === 'denied') {
    await deps.audit.record({ kind: 'push.denied', ...context, result: 'failure', message: 'push approval denied on the phone' });
    return { ok: true, result: 'denied' };
  }
  await reportNotMe(deps, record, context);
  return { ok: true, result: 'reported' };
}

async function settle(deps: PushDeps, record: ApprovalRecord, state: 'approved' | 'denied' | 'not_me', now: number): Promise<boolean> {
  if (!(await deps.approvals.settle(record, state, now))) return false;
  await deps.channel.publish(record.deviceId, { event: 'closed', data: { approvalId: record.approvalId } }).catch(() => undefined);
  return true;
}

/** "This wasn't me": the sign-in is refused; push is suspended for the account, or the account locked (push.on_not_me). */
async function reportNotMe(deps: PushDeps, record: ApprovalRecord, context: { subject: string; details: Record<string, unknown> } & RequestMeta & { site: string }): Promise<void> {
  const lock = deps.config.on_not_me === 'lock';
  if (lock) await deps.regulator.lock(record.username, { reason: 'not_me', actor: record.username });
  else await deps.kv.set(suspendedKey(record.username), String(deps.clock.now()), deps.config.suspend_time);
  await deps.audit.record({
    kind: 'push.not_me',
    ...context,
    level: 'warn',
    result: 'failure',
    reason: lock ? 'locked' : 'push_suspended',
    details: { ...context.details, action: lock ? 'lock' : 'suspend_push', until: lock ? null : deps.clock.now() + deps.config.suspend_time * 1000 },
    message: 'push approval reported as "This wasn\'t me"',
  });
}
