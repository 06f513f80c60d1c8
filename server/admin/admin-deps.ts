import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import type { Clock } from '../core/clock.js';
import type { Directory, DirectoryEntry } from '../directory/directory.js';
import { normalizeUsername } from '../directory/parse-users-file.js';
import type { Regulator } from '../regulation/regulator.js';
import type { SessionStore } from '../session/session-store.js';
import type { Storage } from '../storage/storage.js';

/** What the admin operations need; the HTTP API and the CLI each build one. */
export interface AdminDeps {
  storage: Storage;
  sessions: Pick<SessionStore, 'listForUser' | 'destroyById' | 'destroyAllForUser' | 'countLive'>;
  regulator: Pick<Regulator, 'lockState' | 'unlock'>;
  directory: Pick<Directory, 'findUser' | 'listUsers' | 'lookupUser'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
}

/** Who acts: an administrator's username, or "cli:<os user>"; where from, for the audit log. */
export interface Actor {
  name: string;
  clientIp?: string;
  userAgent?: string;
  requestId?: string;
}

export type UnknownUser = { ok: false; reason: 'unknown_user' };
export const UNKNOWN_USER: UnknownUser = Object.freeze({ ok: false, reason: 'unknown_user' });

/**
 * A user the directory knows, disabled ones included (an administrator may look at them and
 * end their sessions). A directory that cannot list falls back to its active users; one that
 * asks a server (LDAP) is asked, and rejects with DirectoryUnavailableError when it cannot be.
 */
export async function lookupUser(directory: AdminDeps['directory'], name: unknown): Promise<DirectoryEntry | undefined> {
  if (typeof name !== 'string') return undefined;
  const username = normalizeUsername(name);
  const listed = username === undefined ? undefined : directory.listUsers?.().find((u) => u.username === username);
  if (listed) return listed;
  if (directory.lookupUser) {
    const user = await directory.lookupUser(name);
    return user && { ...user, disabled: false };
  }
  if (username === undefined || directory.listUsers) return undefined;
  const user = directory.findUser(username);
  return user && { ...user, disabled: false };
}

/** One audit event per admin action, with the administrator as actor and the user as subject. */
export function recordAdminAction(
  deps: Pick<AdminDeps, 'audit'>,
  actor: Actor,
  event: { kind: AuditInput['kind']; subject: string | undefined; reason?: string; details?: AuditInput['details'] },
): Promise<void> {
  return deps.audit.record({
    kind: event.kind,
    result: 'success',
    actor: actor.name,
    subject: event.subject,
    clientIp: actor.clientIp,
    userAgent: actor.userAgent,
    requestId: actor.requestId,
    reason: event.reason,
    details: event.details,
  });
}
