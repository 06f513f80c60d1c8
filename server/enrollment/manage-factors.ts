import type { AuditKind } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import type { Factor } from '../factors/factor.js';
import type { WebAuthnService } from '../factors/webauthn/webauthn-service.js';
import { regenerateRecoveryCodes } from '../factors/recovery/recovery-codes.js';
import type { Regulator } from '../regulation/regulator.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { Storage } from '../storage/storage.js';
import type { Locale } from '../../client/i18n.js';
import type { Logger } from '../core/logger.js';
import type { AttemptLimiter } from '../regulation/attempt-limiter.js';
import { issueEnrollmentCode, redeemEnrollmentCode, type RedeemResult } from './enrollment-codes.js';
import type { EnrollmentMailer } from './enrollment-email.js';

/**
 * What "My sign-in methods" changes, each audited here: renaming and removing a device of any
 * kind, making recovery codes, and redeeming an enrollment code. The routes decide whether the
 * session may change anything (enrollment-policy.ts); these do the change.
 */

export interface ManageDeps {
  storage: Storage;
  sessions: SessionStore;
  regulator: Regulator;
  audit: AuditLog;
  factors: { totp: Factor; hotp: Factor; webauthn: Factor; push?: Factor };
  webauthn: Pick<WebAuthnService, 'renameCredential'>;
  /** Renames a phone under the rule a phone names itself by; absent without push. */
  renamePhone?: (username: string, deviceId: unknown, name: unknown) => Promise<{ ok: boolean }>;
  now: () => number;
}

export interface ChangeInput {
  token: string;
  session: Session;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
}

/** Which list a device is on: an OTP app or token, a passkey or security key, a phone. */
export type DeviceList = 'otp' | 'webauthn' | 'push';

export type ChangeResult = { ok: true } | { ok: false; reason: 'not-found' | 'invalid-name' };

const MAX_NAME = 64;

/** A new name for one of the user's devices; a device that is not theirs is `not-found`, like one that does not exist. */
export async function renameDevice(deps: ManageDeps, input: ChangeInput & { list: DeviceList; deviceId: unknown; name: unknown }): Promise<ChangeResult> {
  const username = input.session.user.username;
  const id = typeof input.deviceId === 'string' ? input.deviceId : '';
  if (input.list === 'webauthn') {
    const result = await deps.webauthn.renameCredential(username, id, input.name);
    if (!result.ok) return result;
  } else if (input.list === 'push') {
    if (!deps.renamePhone || !(await deps.renamePhone(username, input.deviceId, input.name)).ok) return { ok: false, reason: 'not-found' };
  } else {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length === 0 || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) return { ok: false, reason: 'invalid-name' };
    const device = id ? await deps.storage.otpDevices.get(id) : undefined;
    if (!device || device.username !== username) return { ok: false, reason: 'not-found' };
    await deps.storage.otpDevices.rename(device.id, name);
  }
  await audit(deps, 'factor.renamed', input, { ...(input.list === 'otp' ? {} : { kind: input.list }), device: id });
  return { ok: true };
}

/**
 * Removes one of the user's devices. A removed factor takes the user's other sessions with it
 * (a lost phone's, a thief's); this one stays.
 */
export async function removeDevice(deps: ManageDeps, input: ChangeInput & { list: DeviceList; deviceId: unknown }): Promise<ChangeResult> {
  const username = input.session.user.username;
  const id = typeof input.deviceId === 'string' ? input.deviceId : '';
  const removed = await removeFromList(deps, username, input.list, id);
  if (!removed) return { ok: false, reason: 'not-found' };
  await audit(deps, input.list === 'push' ? 'push.removed' : 'factor.removed', input, { kind: removed, device: id });
  const count = await deps.sessions.destroyAllForUser(username, { keepToken: input.token });
  if (count > 0) await audit(deps, 'sessions.revoked', input, { sessions: count }, 'factor-removed');
  return { ok: true };
}

/** The kind removed, or undefined when the device is not the user's (or may not go alone). */
async function removeFromList(deps: ManageDeps, username: string, list: DeviceList, id: string): Promise<Factor['kind'] | undefined> {
  if (!id) return undefined;
  if (list === 'webauthn') return (await deps.factors.webauthn.remove(username, id)) ? 'webauthn' : undefined;
  if (list === 'push') return deps.factors.push && (await deps.factors.push.remove(username, id)) ? 'push' : undefined;
  const device = await deps.storage.otpDevices.get(id);
  if (!device || device.username !== username) return undefined;
  // A phone's offline codes go only with the phone ("Remove phone"): half a phone helps no one.
  const phones = await deps.storage.pushDevices.listForUser(username);
  if (phones.some((p) => p.otpDeviceId === device.id)) return undefined;
  return (await deps.factors[device.kind].remove(username, device.id)) ? device.kind : undefined;
}

/** A new set of recovery codes (the old set stops working), audited; shown once by the caller. */
export async function issueRecoveryCodes(
  deps: Pick<ManageDeps, 'storage' | 'audit' | 'now'>,
  input: Omit<ChangeInput, 'token'> & { count: number; replaced: boolean },
): Promise<string[]> {
  const codes = await regenerateRecoveryCodes(deps.storage, input.session.user.username, input.count, deps.now());
  await audit(deps, 'recovery_codes.issued', input, { count: codes.length, replaced: input.replaced });
  return codes;
}

/** How long a redeemed enrollment code lets a user add their first factor. */
export const ENROLLMENT_GRANT_MS = 15 * 60_000;

/**
 * An enrollment code (from an email or the IT desk) lets a user with no factor add their first
 * one for a while: regulated like any code, the grant in the session under a new id.
 */
export async function redeemEnrollmentGrant(
  deps: ManageDeps,
  input: ChangeInput & { code: unknown },
): Promise<Extract<RedeemResult, { ok: false }> | { ok: false; reason: 'throttled' } | { ok: true; token?: string; session: Session }> {
  const username = input.session.user.username;
  const attempt = { username, kind: 'enrollment_code' as const, ip: input.clientIp };
  const verdict = await deps.regulator.check(attempt);
  if (!verdict.ok) {
    await audit(deps, 'enrollment.code_refused', input, {}, verdict.reason);
    return { ok: false, reason: 'throttled' };
  }
  const result = await redeemEnrollmentCode(deps.storage, { username, code: input.code, now: deps.now() });
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    await audit(deps, 'enrollment.code_refused', input, {}, result.reason);
    return result;
  }
  const until = deps.now() + ENROLLMENT_GRANT_MS;
  const rotated = await deps.sessions.rotate(input.token, (s) => ({ ...s, enrollmentAllowedUntil: until }));
  await audit(deps, 'enrollment.code_redeemed', input, {});
  return { ok: true, token: rotated?.token, session: rotated?.session ?? input.session };
}

export interface EmailDeps {
  storage: Storage;
  audit: AuditLog;
  logger: Logger;
  /** Enrollment emails sent per user and hour. */
  limiter: AttemptLimiter;
  /** Absent when enrollment codes by email are off. */
  mailer?: EnrollmentMailer;
  ttlSeconds: number;
  /** Where the code is to be typed: "My sign-in methods". */
  methodsUrl: string;
  now: () => number;
}

/**
 * "Email me a code": an enrollment code sent to the user's own address from the directory, a few
 * times an hour at most (every send counts, sent or not).
 */
export async function sendEnrollmentEmail(
  deps: EmailDeps,
  input: Omit<ChangeInput, 'token'> & { locale: Locale },
): Promise<{ ok: true } | { ok: false; reason: 'unavailable' | 'limited' | 'send-failed' }> {
  const { user } = input.session;
  if (!deps.mailer || !user.email) return { ok: false, reason: 'unavailable' };
  if (await deps.limiter.isBlocked(user.username)) return { ok: false, reason: 'limited' };
  await deps.limiter.recordFailure(user.username);
  const { code, expiresAt } = await issueEnrollmentCode(deps.storage, { username: user.username, method: 'email', ttlSeconds: deps.ttlSeconds, issuedBy: 'self', now: deps.now() });
  try {
    await deps.mailer.sendEnrollmentCode({ to: user.email, displayName: user.displayName, code, expiresAt, portalUrl: deps.methodsUrl, locale: input.locale });
  } catch (error) {
    deps.logger.error({ err: (error as Error).message, username: user.username, requestId: input.requestId }, 'enrollment email could not be sent');
    return { ok: false, reason: 'send-failed' };
  }
  await audit(deps, 'enrollment.email_sent', input, {});
  return { ok: true };
}

function audit(deps: Pick<ManageDeps, 'audit'>, kind: AuditKind, input: Omit<ChangeInput, 'token'>, details: Record<string, unknown>, reason?: string) {
  return deps.audit.record({ kind, subject: input.session.user.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, reason, details });
}
