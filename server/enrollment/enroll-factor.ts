import type { AuditLog } from '../audit/create-audit-log.js';
import type { Config } from '../config/schema.js';
import type { Kv } from '../kv/kv.js';
import { confirmTotpEnrollment, type ConfirmResult } from '../factors/otp/enroll-totp.js';
import { oweRecoveryCodes } from '../factors/recovery/owed-recovery-codes.js';
import type { RegistrationFailure } from '../factors/webauthn/verify-registration.js';
import type { WebAuthnService } from '../factors/webauthn/webauthn-service.js';
import type { Regulator } from '../regulation/regulator.js';
import type { FactorUse, Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import { withFactorUse } from '../sign-in/complete-second-factor.js';
import type { Storage } from '../storage/storage.js';

export interface EnrollDeps {
  sessions: SessionStore;
  storage: Storage;
  kv: Kv;
  regulator: Regulator;
  audit: AuditLog;
  webauthn: Pick<WebAuthnService, 'verifyRegistration'>;
  totp: Config['second_factors']['totp'];
  recoveryCodesEnabled: boolean;
  now: () => number;
}

interface EnrollInput {
  token: string;
  session: Session;
  /** The user had no second factor before this one (hasNoSecondFactor): it comes with recovery codes. */
  firstFactor: boolean;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
}

/**
 * `firstFactor`: recovery codes are due (the first second factor, with recovery codes enabled).
 * `token` is absent when the session ended meanwhile: the factor is added all the same.
 */
export type EnrollResult<F> = { ok: true; token?: string; session: Session; firstFactor: boolean } | { ok: false; reason: F };

/**
 * A passkey or security key registered from "My sign-in methods". Registering proves possession,
 * so it counts as a fresh WebAuthn factor in this session. The JSON answer cannot show recovery
 * codes: a first factor owes them, and the next page shows them.
 */
export async function enrollWebAuthn(deps: EnrollDeps, input: EnrollInput & { binding: string; response: unknown; name: string }): Promise<EnrollResult<RegistrationFailure>> {
  const username = input.session.user.username;
  const result = await deps.webauthn.verifyRegistration({ username, binding: input.binding, response: input.response, name: input.name, now: deps.now() });
  if (!result.ok) {
    await audit(deps, 'factor.enroll_refused', input, { kind: 'webauthn' }, result.reason);
    return result;
  }
  const { credential } = result;
  const enrolled = await startUsing(deps, input, { kind: 'webauthn', at: deps.now(), device: credential.id, userVerified: credential.userVerified }, { aaguid: credential.aaguid });
  if (enrolled.firstFactor) await oweRecoveryCodes(deps.kv, username, 'webauthn');
  return enrolled;
}

/**
 * An authenticator app confirmed with its first code. The code is a guess like any other OTP:
 * regulated as one (the account's OTP counter), and counted when wrong.
 */
export async function confirmTotp(
  deps: EnrollDeps,
  input: EnrollInput & { deviceId: unknown; code: unknown },
): Promise<EnrollResult<Extract<ConfirmResult, { ok: false }>['reason'] | 'throttled'>> {
  const username = input.session.user.username;
  const attempt = { username, kind: 'otp' as const, ip: input.clientIp };
  const verdict = await deps.regulator.check(attempt);
  if (!verdict.ok) {
    await audit(deps, 'factor.enroll_refused', input, { kind: 'totp' }, verdict.reason);
    return { ok: false, reason: 'throttled' };
  }
  const result = await confirmTotpEnrollment(deps, { username, deviceId: input.deviceId, code: input.code, config: deps.totp, now: deps.now() });
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    await audit(deps, 'factor.enroll_refused', input, { kind: 'totp' }, result.reason);
    return result;
  }
  return startUsing(deps, input, { kind: 'totp', at: deps.now(), device: result.device.id }, {});
}

/** Audited, and in the session as a fresh factor under a new id; an enrollment grant is used up. */
async function startUsing(deps: EnrollDeps, input: EnrollInput, use: FactorUse, details: Record<string, unknown>) {
  await audit(deps, 'factor.enrolled', input, { kind: use.kind, device: use.device, ...details });
  const rotated = await deps.sessions.rotate(input.token, (s) => ({ ...s, enrollmentAllowedUntil: undefined, factors: withFactorUse(s.factors, use) }));
  const firstFactor = input.firstFactor && deps.recoveryCodesEnabled;
  return { ok: true as const, token: rotated?.token, session: rotated?.session ?? input.session, firstFactor };
}

function audit(deps: EnrollDeps, kind: 'factor.enrolled' | 'factor.enroll_refused', input: EnrollInput, details: Record<string, unknown>, reason?: string) {
  return deps.audit.record({ kind, subject: input.session.user.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, reason, details });
}
