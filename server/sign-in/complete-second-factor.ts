import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Factor, VerifyResult } from '../factors/factor.js';
import type { Attempt, AttemptKind, RegulationVerdict, Regulator } from '../regulation/regulator.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { Storage } from '../storage/storage.js';

export interface SecondFactorDeps {
  sessions: SessionStore;
  storage: Storage;
  regulator: Regulator;
  logger: Logger;
  audit: AuditLog;
  now: () => number;
  onResult?: (factor: string, result: 'success' | 'failure') => void;
}

export type SecondFactorResult =
  | { ok: true; token: string; session: Session; warning?: { kind: 'clock-drift'; seconds: number } }
  | { ok: false; reason: Exclude<VerifyResult, { ok: true }>['reason'] | 'expired' };

type SecondFactorInput = { token: string; session: Session; factor: Factor; deviceId?: string; response: unknown; clientIp: string; userAgent?: string; requestId?: string; site?: string };

/**
 * Checks a second factor for a signed-in session and, on success, records it in the session
 * under a new id (rotation at every sign-in step). Regulation comes first: a user over their
 * failure budget is refused before anything is verified, and attempts in flight count
 * against it, so parallel codes cannot all be checked before the first failure is written.
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
  const username = attempt.username;
  const context = { subject: username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site, details: { factor: input.factor.kind, device: input.deviceId } };
  if (!verdict.ok) {
    await deps.audit.record({ kind: 'second_factor.throttled', reason: verdict.reason, ...context, level: 'warn', message: 'second factor refused: too many failures' });
    return { ok: false, reason: verdict.reason };
  }
  const now = deps.now();
  const result = await input.factor.verify({ username, deviceId: input.deviceId, response: input.response, now });
  if (!result.ok) {
    // Malformed input is a failure too: it is how an attacker probes.
    await deps.regulator.recordFailure(attempt);
    await deps.audit.record({ kind: result.reason === 'replayed' ? 'second_factor.replay' : 'second_factor.failure', reason: result.reason, ...context, message: 'second factor failed' });
    deps.onResult?.(input.factor.kind, 'failure');
    return result;
  }
  await deps.regulator.recordSuccess(attempt);
  const used = { kind: input.factor.kind, at: now, device: result.device.id };
  const rotated = await deps.sessions.rotate(input.token, (s) => ({
    ...s,
    // One entry per kind: the newest use is what freshness rules look at.
    factors: [...s.factors.filter((f) => f.kind !== used.kind), used],
  }));
  if (!rotated) return { ok: false, reason: 'expired' };
  await deps.storage.userState.setLastUsed(username, input.factor.kind, result.device.id);
  await deps.audit.record({ kind: 'second_factor.success', ...context, details: { ...context.details, device: result.device.id }, message: 'second factor accepted' });
  deps.onResult?.(input.factor.kind, 'success');
  return { ok: true, token: rotated.token, session: rotated.session, warning: result.warning };
}

/** TOTP and HOTP share one counter: a guess at either is a guess at the account's codes. */
export function attemptKindOf(kind: Factor['kind']): AttemptKind {
  if (kind === 'totp' || kind === 'hotp') return 'otp';
  return kind;
}
