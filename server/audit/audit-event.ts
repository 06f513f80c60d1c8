import type { AuditEvent, AuditResult } from '../storage/storage.js';

/** Every kind of audit event. New kinds are added here first, so a typo cannot invent one. */
export const AUDIT_KINDS = [
  'sign_in.success',
  'sign_in.failure',
  'second_factor.success',
  'second_factor.failure',
  'second_factor.replay',
  'second_factor.throttled',
  'second_factor.code_sent',
  'second_factor.code_refused',
  'second_factor.code_undelivered',
  'sign_out',
  'sign_out.everywhere',
  'sessions.revoked',
  'session.revoked',
  'factor.enrolled',
  'factor.enroll_refused',
  'factor.renamed',
  'factor.removed',
  'recovery_codes.issued',
  'enrollment.code_issued',
  'enrollment.email_sent',
  'enrollment.code_refused',
  'enrollment.code_redeemed',
  'webauthn.clone_warning',
  'push.enrolled',
  'push.requested',
  'push.approved',
  'push.denied',
  'push.not_me',
  'push.wrong_number',
  'push.app_lock_refused',
  'push.expired',
  'push.removed',
  'lockout',
  'regulation.banned',
  'unlock',
  'admin.action',
  'admin.unlock',
  'admin.reset_factors',
  'admin.disable',
  'admin.enable',
  'admin.session_revoke',
  'admin.token_assign',
  'admin.token_unassign',
  'admin.token_import',
  'admin.token_resync',
  'admin.enrollment_issued',
  'config.reload',
  'notification.failed',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export function isAuditKind(value: string): value is AuditKind {
  return (AUDIT_KINDS as readonly string[]).includes(value);
}

/** What a call site knows about an event. Details keep the call site's own log field names. */
export interface AuditInput {
  kind: AuditKind;
  /** Default: from the kind (resultOf). */
  result?: AuditResult;
  /** The account concerned (logged as `username`, as before). */
  subject?: string;
  /** Who acted; defaults to the subject. */
  actor?: string;
  clientIp?: string;
  userAgent?: string;
  site?: string;
  reason?: string;
  requestId?: string;
  /** Allow-listed scalars only (storage/audit-details.ts); anything else is dropped, never stored. */
  details?: Readonly<Record<string, unknown>>;
  level?: 'info' | 'warn';
  /** The log line's message; default: the kind in words. */
  message?: string;
}

/** An event as exported and posted: ISO time, the rest as stored (id null if storage failed). */
export type AuditJson = Omit<AuditEvent, 'at' | 'id'> & { id: number | null; at: string };

export function toAuditJson(event: Omit<AuditEvent, 'id'> & { id?: number }): AuditJson {
  return { ...event, id: event.id ?? null, at: new Date(event.at).toISOString() };
}

/** Failures and refusals are failures, `*.success` a success, anything else information. */
export function resultOf(kind: AuditKind): AuditResult {
  if (/(failure|refused|replay|throttled|clone_warning)$/.test(kind) || kind === 'lockout') return 'failure';
  return kind.endsWith('.success') ? 'success' : 'info';
}
