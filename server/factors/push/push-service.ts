import type { AuditLog } from '../../audit/create-audit-log.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import type { Regulator } from '../../regulation/regulator.js';
import type { Storage } from '../../storage/storage.js';
import type { Factor } from '../factor.js';
import { answerApproval } from './answer-approval.js';
import { authenticateDevice, type DeviceCredentials } from './device-auth.js';
import { createApprovalStore, toApproval, visibleState, type Approval, type ApprovalRecord } from './push-approvals.js';
import { createPushChannel, type ChannelEvent } from './push-channel.js';
import { isPushSuspended, type PushDeps, type RequestMeta } from './push-deps.js';
import { enrollPushDevice, startAppLockEnrollment, startPushEnrollment } from './push-enrollment.js';
import { resolveWebAuthnSettings } from '../webauthn/webauthn-settings.js';
import { createPushFactor } from './push-factor.js';
import { redeemApproval } from './redeem-approval.js';
import { renamePushDevice } from './rename-push-device.js';
import { requestApproval } from './request-approval.js';
import { createWebPushSender } from './web-push-sender.js';

/**
 * Push approval, server side: enrollment of phones, approvals bound to sign-in sessions,
 * delivery by Web Push and by the live channel, signed answers, and redemption.
 */
export function createPushService(
  deps: { kv: Kv; storage: Storage; clock: Clock; logger: Logger; audit: AuditLog; regulator: Regulator; fetch?: typeof fetch },
  options: { config: Config['second_factors']; portalUrl: URL },
) {
  const config = options.config.push;
  const channel = createPushChannel(deps);
  const shared: PushDeps = {
    ...deps,
    approvals: createApprovalStore(deps.kv),
    channel,
    sender: config.vapid ? createWebPushSender(deps, { vapid: config.vapid }) : undefined,
    config,
    totp: options.config.totp,
    portalUrl: options.portalUrl,
    ...(config.require_user_verification ? { appLock: { webauthn: resolveWebAuthnSettings(options.config.webauthn, options.portalUrl), origin: options.portalUrl.origin } } : {}),
  };
  const timers = new Set<NodeJS.Timeout>();

  /**
   * Tells open companions that an unanswered approval is gone, and records that it expired —
   * once, whichever instance notices first: the one that created it (its timer), or any that
   * answers the sign-in page's poll after the expiry (the creator may have stopped meanwhile).
   */
  async function noticeExpiry(approvalId: string): Promise<void> {
    try {
      const now = deps.clock.now();
      const current = await shared.approvals.read(approvalId);
      if (!current || visibleState(current, Math.max(now, current.expiresAt)) !== 'expired') return;
      if (!(await deps.kv.setIfAbsent(`push:expiry-noticed:${approvalId}`, '1', 600))) return;
      await channel.publish(current.deviceId, { event: 'closed', data: { approvalId } });
      await deps.audit.record({
        kind: 'push.expired',
        subject: current.username,
        clientIp: current.ip,
        site: current.site,
        result: 'failure',
        details: { device: current.deviceId, approval: approvalId },
        message: 'push approval expired unanswered',
      });
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message }, 'push expiry notice failed');
    }
  }

  function scheduleExpiry(record: ApprovalRecord): void {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        void noticeExpiry(record.approvalId);
      },
      Math.max(0, record.expiresAt - deps.clock.now()) + 50,
    );
    timer.unref();
    timers.add(timer);
  }

  const redeem = (approvalId: string, sessionId: string | undefined) => redeemApproval(shared, approvalId, sessionId);
  const factor: Factor = createPushFactor({ storage: deps.storage, redeem });

  async function findForSession(approvalId: string, sessionId: string | undefined): Promise<ApprovalRecord | undefined> {
    const record = await shared.approvals.read(approvalId);
    return record && sessionId !== undefined && record.sessionId === sessionId ? record : undefined;
  }

  return {
    config,
    factor,
    vapidPublicKey: config.vapid?.public_key ?? null,
    startEnrollment: (username: string) => startPushEnrollment(shared, username),
    enroll: (body: unknown, meta: RequestMeta) => enrollPushDevice(shared, body, meta),
    /** Whether phones must set up the app lock (and approve with it). */
    appLockRequired: shared.appLock !== undefined,
    /** The app lock's credential options for an enrollment link; undefined for an unknown link or with the lock off. */
    appLockOptions: (token: unknown) => startAppLockEnrollment(shared, token),
    /** "Rename" on My sign-in methods: the user's own phone only, under the rule a phone names itself by. */
    rename: (username: string, deviceId: unknown, name: unknown) => renamePushDevice(deps.storage, { username, deviceId, name }),
    authenticateDevice: (input: { credentials: DeviceCredentials | undefined; method: string; path: string; body: Buffer }) => authenticateDevice(shared, input),
    request: (input: { username: string; deviceId: unknown; sessionId: string; site: string } & RequestMeta) => requestApproval(shared, input, scheduleExpiry),
    /** Push suspended for the account ("This wasn't me"): requests are refused, and the second step offers no phone. */
    isSuspended: (username: string) => isPushSuspended(deps.kv, username),
    /** An approval of this sign-in session; undefined for an unknown one or another session's. */
    find: (approvalId: string, sessionId: string | undefined) => findForSession(approvalId, sessionId),
    /** The state a sign-in page sees; undefined for an unknown approval or another session's. */
    async status(approvalId: string, sessionId: string | undefined) {
      const record = await findForSession(approvalId, sessionId);
      const state = record && visibleState(record, deps.clock.now());
      if (state === 'expired') await noticeExpiry(approvalId);
      return state;
    },
    answer: (approvalId: string, body: unknown, meta: RequestMeta) => answerApproval(shared, approvalId, body, meta),
    redeem,
    async pendingFor(deviceId: string): Promise<Approval[]> {
      return (await shared.approvals.pendingFor(deviceId, deps.clock.now())).map(toApproval);
    },
    /** Resolves once subscribed; the returned function stops listening. */
    listen: (deviceId: string, listener: (event: ChannelEvent) => void) => channel.listen(deviceId, listener),
    async close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await channel.close();
    },
  };
}

export type PushService = ReturnType<typeof createPushService>;
