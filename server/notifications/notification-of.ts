import type { AuditInput } from '../audit/audit-event.js';
import type { NotificationKind } from '../config/schema.js';

export interface Notice {
  kind: NotificationKind;
  /** The factor kind the mail names ("all" for an administrator's reset). */
  factor?: string;
}

/**
 * Which audit events the user is mailed about. The audit event is the one place each of these
 * happens, written once per event by the use-case that made it happen, so a mail can be neither
 * missed nor sent twice by a second call site. Failed attempts are never among them: a wrong code
 * or password is a `*.failure` event, which maps to nothing.
 */
export function notificationOf(input: AuditInput): Notice | undefined {
  if (!input.subject) return undefined;
  const details = input.details ?? {};
  const factor = typeof details.kind === 'string' ? details.kind : undefined;
  switch (input.kind) {
    case 'factor.enrolled':
      return { kind: 'factor_added', factor };
    case 'push.enrolled':
      return { kind: 'phone_enrolled', factor: 'push' };
    case 'factor.removed':
      return { kind: 'factor_removed', factor };
    case 'push.removed':
      return { kind: 'factor_removed', factor: 'push' };
    case 'admin.reset_factors':
      return { kind: 'factor_removed', factor: 'all' };
    case 'recovery_codes.issued':
      return { kind: 'recovery_codes_created' };
    case 'second_factor.success':
      return details.factor === 'recovery_code' ? { kind: 'recovery_codes_used' } : undefined;
    case 'lockout':
      return { kind: 'account_locked' };
    case 'sign_in.success':
      return details.browser === 'new' ? { kind: 'new_browser' } : undefined;
    case 'push.not_me':
      return { kind: 'not_me' };
    default:
      return undefined;
  }
}
