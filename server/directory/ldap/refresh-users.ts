import { randomToken } from '../../core/random.js';
import type { Logger } from '../../core/logger.js';
import type { Kv } from '../../kv/kv.js';
import type { DirectoryChange } from '../directory.js';
import type { AccountState } from './account-state.js';
import { normalizeDn } from './dn.js';
import { sameUser, type LdapUserRecord } from './ldap-user.js';
import type { UserRecords } from './user-records.js';

const LEASE = 'ldap:refresh-lease';
/**
 * A record younger than this is kept even with no session yet: sign-in writes the record a
 * moment before it creates the session, and a round running in between must not undo it.
 */
const SIGN_IN_MARGIN_MS = 60_000;

/** What the directory says about a registered user now. */
export type RefreshLookup = { kind: 'found'; record: LdapUserRecord; state: AccountState } | { kind: 'gone'; reason: 'not-found' | 'ambiguous' | 'unusable' };

export interface RefreshSummary {
  checked: number;
  revoked: string[];
  updated: string[];
  /** Users with no live session left, no longer refreshed. */
  dropped: number;
  /** The round stopped early: the directory could not be asked. */
  failed: boolean;
}

export interface UserRefresher {
  /** One round now, whoever holds the lease (tests, the CLI). */
  refreshAll(): Promise<RefreshSummary>;
  stop(): void;
}

/**
 * Looks every registered LDAP user up again, off the hot path. Each instance ticks twice per
 * interval and tries to take a lease that lasts about one interval: whichever instance holds
 * it runs the round, so the directory is asked once per interval, not once per instance, and
 * another instance takes over when the holder dies.
 *
 * A user gone from the directory (or no longer matching the user filter), disabled, expired,
 * told to change their password, given a new password, or moved to another DN is revoked (the
 * gateway ends their sessions everywhere); new groups or names are saved and announced. A
 * failed lookup stops the round and confirms no one: their records age towards refresh_grace.
 */
export function createUserRefresher(
  deps: {
    kv: Kv;
    logger: Logger;
    now: () => number;
    records: UserRecords;
    lookup: (username: string) => Promise<RefreshLookup>;
    /** Whether the user still has a session anywhere; without it, everyone registered is refreshed. */
    hasSessions?: (username: string) => Promise<boolean>;
    onChange: (change: DirectoryChange) => void;
  },
  options: { intervalMs: number; concurrency: number; start: boolean },
): UserRefresher {
  const { kv, records, now } = deps;
  const logger = deps.logger.child({ component: 'ldap-refresh' });
  const holder = randomToken(12);
  let running: Promise<RefreshSummary> | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function refreshOne(username: string, summary: RefreshSummary): Promise<void> {
    const previous = await records.load(username);
    const settled = previous !== null && now() - previous.signedInAt > SIGN_IN_MARGIN_MS;
    if (previous === null || (settled && deps.hasSessions && !(await deps.hasSessions(username)))) {
      await records.remove(username);
      summary.dropped++;
      return;
    }
    const found = await deps.lookup(username);
    summary.checked++;
    const reason = revocationReason(previous, found);
    if (reason) {
      logger.info({ username, reason }, 'LDAP user revoked');
      await records.remove(username);
      summary.revoked.push(username);
      return;
    }
    const current = (found as Extract<RefreshLookup, { kind: 'found' }>).record;
    const changed = !sameUser(previous.user, current.user);
    await records.save({ ...current, checkedAt: now(), signedInAt: previous.signedInAt }, { announce: changed });
    if (changed) summary.updated.push(username);
  }

  async function round(): Promise<RefreshSummary> {
    const summary: RefreshSummary = { checked: 0, revoked: [], updated: [], dropped: 0, failed: false };
    const queue = await records.names();
    const worker = async () => {
      while (!summary.failed) {
        const username = queue.shift();
        if (username === undefined) return;
        try {
          await refreshOne(username, summary);
        } catch (error) {
          summary.failed = true;
          logger.warn({ err: (error as Error).message }, 'LDAP refresh stopped: the directory or the shared store did not answer; sessions go on until refresh_grace');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    if (summary.revoked.length > 0 || summary.updated.length > 0) {
      deps.onChange({ revoked: summary.revoked, updated: summary.updated, source: 'ldap' });
    }
    return summary;
  }

  function refreshAll(): Promise<RefreshSummary> {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  }

  async function tick(): Promise<void> {
    try {
      const leaseSeconds = Math.max(0.2, (options.intervalMs * 0.9) / 1000);
      if (!(await kv.setIfAbsent(LEASE, holder, leaseSeconds))) return;
      await refreshAll();
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'LDAP refresh could not start');
    }
  }

  if (options.start) {
    const every = Math.max(100, options.intervalMs / 2);
    timer = setInterval(() => void tick(), every);
    timer.unref();
  }

  return {
    refreshAll,
    stop() {
      clearInterval(timer);
    },
  };
}

function revocationReason(previous: LdapUserRecord, found: RefreshLookup): string | undefined {
  if (found.kind === 'gone') return found.reason;
  const { record, state } = found;
  if (state.disabled) return 'disabled';
  if (state.accountExpired) return 'account-expired';
  if (state.mustChange) return 'must-change-password';
  if (normalizeDn(record.dn) !== normalizeDn(previous.dn)) return 'moved';
  if (previous.passwordMark !== null && record.passwordMark !== previous.passwordMark) return 'password-changed';
  return undefined;
}
