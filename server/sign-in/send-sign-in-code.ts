import type { AuditLog } from '../audit/create-audit-log.js';
import type { Destination, SentCodeFactor } from '../factors/sent-code/sent-code-factor.js';
import type { SendCapName } from '../factors/sent-code/send-caps.js';
import type { Regulator } from '../regulation/regulator.js';

/** A code on its way: what the deliverer needs to write the message. Never logged. */
export interface CodeMessage {
  to: string;
  code: string;
  expiresAt: number;
  /** The site the sign-in is for (its host), or the portal's. */
  site: string;
  displayName: string;
  locale: 'en' | 'zh-TW';
}

/** How a delivery ended; `reason` is for the audit log (never the provider's text). */
export type DeliveryOutcome = { ok: true } | { ok: false; reason: string };

export interface SendCodeDeps {
  regulator: Pick<Regulator, 'check'>;
  audit: AuditLog;
  now: () => number;
  /** Sends by email or SMS; bounded by its own timeout, and never throws (a failure is an outcome). */
  deliver(message: CodeMessage): Promise<DeliveryOutcome>;
}

export interface SendCodeInput {
  factor: SentCodeFactor;
  username: string;
  displayName: string;
  binding: string;
  site: string;
  locale: CodeMessage['locale'];
  clientIp: string;
  userAgent?: string;
  requestId?: string;
  /** A number being confirmed, instead of the user's own destination. */
  destination?: Destination;
}

export type SendCodeResult =
  /** `delivered` settles when the delivery has ended (tests wait for it; the page does not). */
  | { ok: true; delivered: Promise<DeliveryOutcome> }
  | { ok: false; reason: 'throttled' | 'no-destination' }
  | { ok: false; reason: 'cooldown' | 'rate-limited'; cap: SendCapName; retryAfter: number };

/**
 * Sends a sign-in code by email or SMS for the sign-in `binding`. A locked or throttled account
 * gets none (nothing to guess at, and nothing to bill); the factor's send caps decide the rest.
 * The delivery runs in the background: the page answers at once and shows "sending", so a
 * provider that hangs never holds a sign-in. Its failure is audited and shown on the page.
 */
export async function sendSignInCode(deps: SendCodeDeps, input: SendCodeInput): Promise<SendCodeResult> {
  const kind = input.factor.kind;
  const context = { subject: input.username, clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site };
  const verdict = await deps.regulator.check({ username: input.username, kind: 'otp', ip: input.clientIp });
  if (!verdict.ok) {
    await deps.audit.record({
      kind: 'second_factor.code_refused',
      reason: verdict.reason,
      ...context,
      details: { factor: kind },
      level: 'warn',
      message: 'no code sent: account throttled',
    });
    return { ok: false, reason: 'throttled' };
  }
  const issued = await input.factor.issue({ username: input.username, binding: input.binding, destination: input.destination });
  if (!issued.ok) {
    const cap = issued.reason === 'no-destination' ? undefined : issued.cap;
    await deps.audit.record({
      kind: 'second_factor.code_refused',
      reason: issued.reason,
      ...context,
      details: { factor: kind, ...(cap ? { cap } : {}) },
      level: issued.reason === 'rate-limited' ? 'warn' : 'info',
      message: 'no code sent',
    });
    return issued;
  }
  const destination = issued.destination.masked;
  await deps.audit.record({ kind: 'second_factor.code_sent', ...context, details: { factor: kind, destination }, message: 'sign-in code sent' });
  const message: CodeMessage = {
    to: issued.destination.address,
    code: issued.code,
    expiresAt: issued.expiresAt,
    site: input.site,
    displayName: input.displayName,
    locale: input.locale,
  };
  const delivered = deliverInBackground(deps, input.factor, issued.recordId, message, { ...context, destination });
  return { ok: true, delivered };
}

async function deliverInBackground(
  deps: SendCodeDeps,
  factor: SentCodeFactor,
  recordId: string,
  message: CodeMessage,
  context: { subject: string; clientIp: string; userAgent?: string; requestId?: string; site: string; destination: string },
): Promise<DeliveryOutcome> {
  const { destination, ...who } = context;
  let outcome: DeliveryOutcome;
  try {
    outcome = await deps.deliver(message);
  } catch {
    outcome = { ok: false, reason: 'error' };
  }
  try {
    await factor.markDelivery(recordId, outcome.ok ? 'sent' : 'failed');
    if (!outcome.ok) {
      await deps.audit.record({
        kind: 'second_factor.code_undelivered',
        reason: outcome.reason,
        ...who,
        details: { factor: factor.kind, destination },
        level: 'warn',
        message: 'sign-in code could not be delivered',
      });
    }
  } catch {
    // The store or the audit log is down: the page shows "sending" until the code expires.
  }
  return outcome;
}
