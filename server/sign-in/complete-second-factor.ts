import type { AuditLog } from '../audit/create-audit-log.js';
import type { Factor, VerifyFailure } from '../factors/factor.js';
import type { Attempt, AttemptKind, RegulationVerdict, Regulator } from '../regulation/regulator.js';
import type { FactorUse, Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { Storage } from '../storage/storage.js';

export interface SecondFactorDeps {
  sessions: SessionStore;
  storage: Pick<Storage, 'userState'>;
  regulator: Regulator;
  audit: AuditLog;
  now: () => number;
  onResult?: (factor: string, result: 'success' | 'failure') => void;
}

export type SecondFactorFailure = VerifyFailure | 'throttled' | 'expired';

export type SecondFactorResult =
  | { ok: true; token: string; session: Session; warning?: { kind: 'clock-drift'; seconds: number } }
  /** `detail`: the factor's finer reason when it gave one (WebAuthn's codes, which the page's script knows). */
  | { ok: false; reason: SecondFactorFailure; detail?: string };

export interface SecondFactorInput {
  token: string;
  session: Session;
  factor: Factor;
  deviceId?: string;
  response: unknown;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
  /** The configured site the sign-in is for, for the audit log. */
  site?: string;
}

/**
 * What a second factor's challenge or approval is bound to: the session's public id. Whoever
 * issues one (the WebAuthn options, "Approve on my phone") binds it with this, and the completion
 * below verifies with it, so a challenge or approval is usable by the session that asked only.
 */
export function secondFactorBinding(sessions: Pick<SessionStore, 'idOf'>, token: string): string | undefined {
  return sessions.idOf(token);
}

/**
 * The one way a second factor completes, whatever its kind: the sign-in's second step, step-up,
 * "Confirm it's you". In this order and nowhere else:
 *
 * 1. Regulation: `admit`, as for the password. A user over their failure budget, or a locked
 *    account, is refused before anything is verified (their answer is not consumed), and attempts
 *    in flight count against the budget, so parallel answers cannot all be checked before the
 *    first failure is written.
 * 2. Verification by the factor's verifier (a code, an assertion bound to this session, an
 *    approval redeemed for it).
 * 3. A failure is counted (malformed input too: it is how an attacker probes); a success resets
 *    the kind's counter.
 * 4. On success the session gets the factor under a new id (rotation at every step), and the
 *    device is remembered as the user's last used.
 * 5. One audit event per attempt, and the sign-in metric.
 *
 * `pending` (a push not answered yet) is no attempt: nothing is counted, audited or measured.
 */
export async function completeSecondFactor(deps: SecondFactorDeps, input: SecondFactorInput): Promise<SecondFactorResult> {
  const attempt = { username: input.session.user.username, kind: attemptKindOf(input.factor.kind), ip: input.clientIp };
  const admission = await deps.regulator.admit(attempt);
  try {
    return await completeAdmitted(deps, input, attempt, admission.verdict);
  } finally {
    // After recordFailure: the failure is written before the attempt stops counting.
    await admission.release();
  }
}

async function completeAdmitted(deps: SecondFactorDeps, input: SecondFactorInput, attempt: Required<Attempt>, verdict: RegulationVerdict): Promise<SecondFactorResult> {
  const { username } = attempt;
  const kind = input.factor.kind;
  const context = { subject: username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site };
  const refuse = async (reason: string): Promise<SecondFactorResult> => {
    await deps.audit.record({
      kind: 'second_factor.throttled',
      reason,
      ...context,
      details: { factor: kind, device: input.deviceId },
      level: 'warn',
      message: 'second factor refused: too many failures',
    });
    return { ok: false, reason: 'throttled' };
  };
  if (!verdict.ok) return refuse(verdict.reason);

  const now = deps.now();
  const binding = secondFactorBinding(deps.sessions, input.token);
  const result = await input.factor.verify({ username, deviceId: input.deviceId, response: input.response, now, binding });
  if (!result.ok && result.reason === 'pending') return result;
  if (!result.ok && result.reason === 'locked') return refuse('locked');
  if (!result.ok) {
    await deps.regulator.recordFailure(attempt);
    await deps.audit.record({
      kind: result.reason === 'replayed' ? 'second_factor.replay' : 'second_factor.failure',
      reason: result.detail ?? result.reason,
      ...context,
      details: { factor: kind, device: input.deviceId },
      message: 'second factor failed',
    });
    deps.onResult?.(kind, 'failure');
    return result;
  }

  await deps.regulator.recordSuccess(attempt);
  const used: FactorUse = { kind, at: now, device: result.device.id, ...(result.userVerified === undefined ? {} : { userVerified: result.userVerified }) };
  const rotated = await deps.sessions.rotate(input.token, (s) => ({ ...s, factors: withFactorUse(s.factors, used) }));
  if (!rotated) return { ok: false, reason: 'expired' };
  await deps.storage.userState.setLastUsed(username, kind, result.device.id);
  await deps.audit.record({ kind: 'second_factor.success', ...context, details: { factor: kind, device: result.device.id, ...result.details }, message: 'second factor accepted' });
  deps.onResult?.(kind, 'success');
  return { ok: true, token: rotated.token, session: rotated.session, warning: result.warning };
}

/** One entry per kind: the newest use is what freshness rules look at. */
export function withFactorUse(factors: readonly FactorUse[], used: FactorUse): FactorUse[] {
  return [...factors.filter((f) => f.kind !== used.kind), used];
}

/**
 * One-time codes share one counter — TOTP, HOTP and codes sent by email or SMS: a guess at any
 * is a guess at the account's codes, and a budget per channel would multiply the guesses.
 */
export function attemptKindOf(kind: Factor['kind']): AttemptKind {
  if (kind === 'totp' || kind === 'hotp' || kind === 'email_otp' || kind === 'sms_otp') return 'otp';
  return kind;
}
