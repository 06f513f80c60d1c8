import type { AuditLog } from '../../audit/create-audit-log.js';
import type { Config, PushConfig } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import type { Regulator } from '../../regulation/regulator.js';
import type { Storage } from '../../storage/storage.js';
import type { AppLockSettings } from './app-lock.js';
import type { ApprovalStore } from './push-approvals.js';
import type { PushChannel } from './push-channel.js';
import type { WebPushSender } from './web-push-sender.js';

/** What the push use-cases share; built once by createPushService. */
export interface PushDeps {
  kv: Kv;
  storage: Storage;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  regulator: Regulator;
  approvals: ApprovalStore;
  channel: PushChannel;
  /** Absent without VAPID keys: only the live channel delivers. */
  sender?: WebPushSender;
  config: PushConfig;
  totp: Config['second_factors']['totp'];
  portalUrl: URL;
  /** Present when push.require_user_verification: every approve needs the phone's app-lock assertion. */
  appLock?: AppLockSettings;
}

/** Who is asking, for the audit trail. */
export interface RequestMeta {
  clientIp: string;
  userAgent?: string;
  requestId?: string;
}

export const suspendedKey = (username: string) => `push:suspended:${username}`;

/** Whether push is suspended for the account after "This wasn't me" (push.on_not_me: suspend_push). */
export async function isPushSuspended(kv: Pick<Kv, 'get'>, username: string): Promise<boolean> {
  return (await kv.get(suspendedKey(username))) !== null;
}
