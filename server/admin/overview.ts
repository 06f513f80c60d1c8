import type { AuditEvent } from '../storage/storage.js';
import type { AdminDeps } from './admin-deps.js';
import { listUsersPage } from './user-status.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** What counts as a failed sign-in on the charts: a wrong password and a wrong second factor alike. */
const FAILURE_KINDS = ['sign_in.failure', 'second_factor.failure'];

export interface ActivityBucket {
  /** Start of the interval, ms. */
  start: number;
  signIns: number;
  failures: number;
}

export interface Overview {
  hourly: ActivityBucket[];
  daily: ActivityBucket[];
  /** Live sessions of every user, on every instance. */
  sessions: number;
  locked: { total: number; users: string[] };
  bans: { total: number; recent: AuditEvent[] };
  notMe: AuditEvent[];
  cloneWarnings: AuditEvent[];
}

/**
 * The console's start page in one call: sign-ins and failures per hour for the last 24 hours
 * and per UTC day for the last 30 (counted in the database), locked accounts, bans of the last
 * 24 hours, the latest "This wasn't me" answers and passkey clone warnings, and how many
 * sessions are live (the session store's expiry index: one Redis call).
 */
export async function loadOverview(deps: AdminDeps, now: number): Promise<Overview> {
  const hourStart = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const dayStart = Math.floor(now / DAY) * DAY - 29 * DAY;
  const [hourly, daily, locked, bans, notMe, cloneWarnings, sessions] = await Promise.all([
    activity(deps, hourStart, HOUR, 24),
    activity(deps, dayStart, DAY, 30),
    listUsersPage(deps, { search: '', offset: 0, limit: 10, filters: { locked: true } }),
    deps.storage.auditEvents.query({ kind: 'regulation.banned', since: now - DAY, limit: 10 }),
    deps.storage.auditEvents.query({ kind: 'push.not_me', limit: 10 }),
    deps.storage.auditEvents.query({ kind: 'webauthn.clone_warning', limit: 10 }),
    deps.sessions.countLive(),
  ]);
  const banCount = await deps.storage.auditEvents.countByInterval({ kinds: ['regulation.banned'], since: now - DAY, until: now + 1, bucketMs: DAY + 1 });
  return {
    hourly,
    daily,
    sessions,
    locked: { total: locked.total, users: locked.users.map((u) => u.username) },
    bans: { total: banCount.reduce((sum, b) => sum + b.count, 0), recent: bans },
    notMe,
    cloneWarnings,
  };
}

async function activity(deps: Pick<AdminDeps, 'storage'>, since: number, bucketMs: number, buckets: number): Promise<ActivityBucket[]> {
  const counts = await deps.storage.auditEvents.countByInterval({ kinds: ['sign_in.success', ...FAILURE_KINDS], since, until: since + buckets * bucketMs, bucketMs });
  const out = Array.from({ length: buckets }, (_, i) => ({ start: since + i * bucketMs, signIns: 0, failures: 0 }));
  for (const c of counts) {
    const bucket = out[c.bucket];
    if (!bucket) continue;
    if (c.kind === 'sign_in.success') bucket.signIns += c.count;
    else bucket.failures += c.count;
  }
  return out;
}
