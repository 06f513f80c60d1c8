import type { AuditDetails } from './storage.js';

/**
 * The only keys an audit event's details may carry. An allow-list rather than a deny-list:
 * a new field has to be added here on purpose, which is the moment to ask whether it could
 * be a secret (codes, tokens, passwords, cookies, seeds never are allowed).
 */
export const AUDIT_DETAIL_KEYS: ReadonlySet<string> = new Set([
  'requestId',
  'factor',
  'kind',
  'device',
  'credential',
  'aaguid',
  'passwordless',
  'count',
  'sessions',
  'scope',
  'storedCounter',
  'receivedCounter',
  'by',
  'serial',
  'method',
  'attempts',
  'until',
  'seconds',
  'action',
  'target',
  'status',
  'approval',
  'replaced',
  'browser',
  'destination',
  'cap',
  'format',
]);

const MAX_KEYS = 16;
const MAX_STRING = 200;

/** Why a details object may not be stored, or undefined when it may. */
export function auditDetailsProblem(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return 'details must be a plain object';
  const entries = Object.entries(details);
  if (entries.length > MAX_KEYS) return `details may have at most ${MAX_KEYS} keys`;
  for (const [key, value] of entries) {
    if (!AUDIT_DETAIL_KEYS.has(key)) return `details key "${key}" is not allowed in the audit log`;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number' && Number.isFinite(value)) continue;
    if (typeof value === 'string' && value.length <= MAX_STRING) continue;
    return `details key "${key}" must be a short string, a finite number, a boolean or null`;
  }
  return undefined;
}

/** Keeps the allowed, well-formed entries and drops the rest; says which keys it dropped. */
export function pickAuditDetails(fields: Readonly<Record<string, unknown>>): { details: AuditDetails; dropped: string[] } {
  const details: Record<string, string | number | boolean | null> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Object.keys(details).length < MAX_KEYS && auditDetailsProblem({ [key]: value }) === undefined) details[key] = value as string | number | boolean | null;
    else dropped.push(key);
  }
  return { details, dropped };
}
