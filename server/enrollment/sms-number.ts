import type { AuditKind } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import { maskPhoneNumber } from '../factors/sms-otp/phone-number.js';
import type { SentCodeChannel, UserNumbers } from '../sign-in/sent-code-channel.js';
import type { Regulator } from '../regulation/regulator.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import { sendSignInCode } from '../sign-in/send-sign-in-code.js';
import type { SmsNumberStore } from '../storage/storage.js';

export interface SmsNumberDeps {
  channel: SentCodeChannel & { userNumbers: UserNumbers };
  numbers: SmsNumberStore;
  sessions: SessionStore;
  regulator: Regulator;
  audit: AuditLog;
  now: () => number;
}

interface SmsNumberInput {
  token: string;
  session: Session;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
}

export type StartResult =
  | { ok: true; e164: string; masked: string }
  | { ok: false; reason: 'malformed' | 'invalid' | 'not-mobile' | 'country' | 'directory' | 'throttled' | 'cooldown' | 'rate-limited' };

/** `has-number`: one was confirmed meanwhile (two pending at once); it is removed first, with its own notice, never replaced silently. */
export type ConfirmResult = { ok: true } | { ok: false; reason: 'throttled' | 'malformed' | 'invalid-code' | 'expired' | 'replayed' | 'directory' | 'has-number' };

/**
 * The code that confirms a number is bound to this session and to the number itself: a code sent
 * to one number cannot store another (the form's number is part of the key), nor be typed in
 * another session or by another user.
 */
function bindingOf(deps: SmsNumberDeps, token: string, e164: string): string | undefined {
  const id = deps.sessions.idOf(token);
  return id ? `number:${id}:${e164}` : undefined;
}

/**
 * Sends a code to a number the user wants to add: read by the same rules as the directory's,
 * throttled and capped like a sign-in code (the same per-account, per-number and per-day caps:
 * adding a number must not be a way to pump texts). Nothing is stored yet.
 */
export async function startSmsNumber(deps: SmsNumberDeps, input: SmsNumberInput & { written: unknown; site: string; locale: 'en' | 'zh-TW' }): Promise<StartResult> {
  const username = input.session.user.username;
  // Guard: the directory's number wins; its holder has nothing to add.
  if (await deps.channel.userNumbers.directoryNumberOf(username)) return { ok: false, reason: 'directory' };
  const parsed = deps.channel.userNumbers.parse(typeof input.written === 'string' ? input.written.trim() : '');
  if (!parsed.ok) {
    await audit(deps, 'factor.enroll_refused', input, { kind: 'sms_otp' }, parsed.reason);
    return parsed;
  }
  const binding = bindingOf(deps, input.token, parsed.e164);
  if (!binding) return { ok: false, reason: 'throttled' };
  const masked = maskPhoneNumber(parsed.e164);
  const sent = await sendSignInCode(
    { regulator: deps.regulator, audit: deps.audit, now: deps.now, deliver: deps.channel.deliver },
    {
      factor: deps.channel.factor,
      username,
      displayName: input.session.user.displayName,
      binding,
      site: input.site,
      locale: input.locale,
      clientIp: input.clientIp,
      userAgent: input.userAgent,
      requestId: input.requestId,
      destination: { address: parsed.e164, masked },
    },
  );
  if (!sent.ok) return { ok: false, reason: sent.reason === 'no-destination' ? 'invalid' : sent.reason };
  return { ok: true, e164: parsed.e164, masked };
}

/**
 * Stores the number once the code sent to it is typed back. The code is a guess like any other
 * one-time code: regulated (the account's OTP counter) and counted when wrong; single use.
 */
export async function confirmSmsNumber(deps: SmsNumberDeps, input: SmsNumberInput & { number: unknown; code: unknown }): Promise<ConfirmResult> {
  const username = input.session.user.username;
  const attempt = { username, kind: 'otp' as const, ip: input.clientIp };
  const verdict = await deps.regulator.check(attempt);
  if (!verdict.ok) {
    await audit(deps, 'factor.enroll_refused', input, { kind: 'sms_otp' }, verdict.reason);
    return { ok: false, reason: 'throttled' };
  }
  if (await deps.channel.userNumbers.directoryNumberOf(username)) return { ok: false, reason: 'directory' };
  if (await deps.numbers.get(username)) return { ok: false, reason: 'has-number' };
  // The number as E.164 (from the form): only a code sent to exactly this number matches.
  const parsed = deps.channel.userNumbers.parse(typeof input.number === 'string' ? input.number : '');
  const binding = parsed.ok ? bindingOf(deps, input.token, parsed.e164) : undefined;
  const result = binding ? await deps.channel.factor.verify({ username, binding, response: input.code, now: deps.now() }) : ({ ok: false, reason: 'invalid-code' } as const);
  if (!result.ok || !parsed.ok) {
    const reason = result.ok ? 'invalid-code' : result.reason;
    if (reason !== 'malformed') await deps.regulator.recordFailure(attempt);
    await audit(deps, 'factor.enroll_refused', input, { kind: 'sms_otp' }, reason);
    return { ok: false, reason: reason === 'malformed' || reason === 'expired' || reason === 'replayed' ? reason : 'invalid-code' };
  }
  await deps.numbers.set(username, parsed.e164, deps.now());
  await audit(deps, 'factor.enrolled', input, { kind: 'sms_otp', destination: maskPhoneNumber(parsed.e164) });
  return { ok: true };
}

/** Removes the user's own number; like any removed factor, it takes the user's other sessions with it. */
export async function removeSmsNumber(deps: Pick<SmsNumberDeps, 'numbers' | 'sessions' | 'audit'>, input: SmsNumberInput): Promise<{ ok: boolean }> {
  const username = input.session.user.username;
  const stored = await deps.numbers.get(username);
  if (!stored || !(await deps.numbers.remove(username))) return { ok: false };
  await audit(deps, 'factor.removed', input, { kind: 'sms_otp', destination: maskPhoneNumber(stored.number) });
  const count = await deps.sessions.destroyAllForUser(username, { keepToken: input.token });
  if (count > 0) await audit(deps, 'sessions.revoked', input, { sessions: count }, 'factor-removed');
  return { ok: true };
}

function audit(deps: Pick<SmsNumberDeps, 'audit'>, kind: AuditKind, input: SmsNumberInput, details: Record<string, unknown>, reason?: string) {
  return deps.audit.record({ kind, subject: input.session.user.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, reason, details });
}
