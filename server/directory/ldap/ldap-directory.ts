import { ResultCodeError } from 'ldapts';
import type { Logger } from '../../core/logger.js';
import { randomToken } from '../../core/random.js';
import type { Kv } from '../../kv/kv.js';
import type { SessionUser } from '../../session/session.js';
import type { Directory, DirectoryChange, DirectoryState, FirstFactorResult, ImitationResult, VerifyOptions } from '../directory.js';
import { createHashQueue, hashLaneOf, type HashQueue, type QueueRefusal } from '../hash-queue.js';
import { MAX_PASSWORD_BYTES } from '../password-hash.js';
import type { AccountState } from './account-state.js';
import { bindUser } from './bind-user.js';
import { createConnectionPool, type ConnectionPool } from './connection-pool.js';
import { findUserEntry } from './find-user-entry.js';
import { openLdapConnection } from './ldap-connection.js';
import type { LdapSettings } from './ldap-settings.js';
import { canonicalUsername, searchableUsername, stateOf, userFromEntry, type LdapUserRecord } from './ldap-user.js';
import { createFailureTiming } from './failure-timing.js';
import { lookupLdapUser } from './lookup-ldap-user.js';
import { createUserRefresher, type RefreshLookup, type RefreshSummary } from './refresh-users.js';
import { resolveGroups } from './resolve-groups.js';
import { createUserRecords } from './user-records.js';

export interface LdapDirectory extends Directory {
  imitateVerify(username: string, options?: Pick<VerifyOptions, 'clientIp'>): Promise<ImitationResult>;
  peekSessionUser(user: SessionUser): SessionUser | null | undefined;
  loadSessionUser(user: SessionUser): Promise<SessionUser | null>;
  lookupUser(username: string): Promise<SessionUser | undefined>;
  onChange(listener: (change: DirectoryChange) => void): () => void;
  /** One refresh round now, whoever holds the lease (tests, the CLI). */
  refreshAll(): Promise<RefreshSummary>;
}

export interface LdapDirectoryOptions {
  settings: LdapSettings;
  /** How long an instance answers from its own copy of a user (session.cache_ttl). */
  mirrorTtlMs: number;
  /** How long a user's shared record outlives their last check: the longest a session lives. */
  recordTtlSeconds: number;
  /** Whether a user still has a live session; users without one stop being refreshed. */
  hasSessions?: (username: string) => Promise<boolean>;
  /** Run the background refresh (off for one-shot commands). */
  refresh?: boolean;
}

const INVALID = Object.freeze({ ok: false, reason: 'invalid-credentials' } as const);

const BUSY: Record<QueueRefusal, FirstFactorResult & ImitationResult> = {
  'lane-full': Object.freeze({ ok: false, reason: 'busy', scope: 'address' }),
  'queue-full': Object.freeze({ ok: false, reason: 'busy', scope: 'all' }),
  'waited-too-long': Object.freeze({ ok: false, reason: 'busy', scope: 'all' }),
};

/**
 * Users from an LDAP directory. Sign-in searches the user with the service account (one
 * search), binds as their DN with the typed password (one bind), then reads their groups (at
 * least one search when groups are searched or nested). An unknown name costs the same search
 * and a bind to a DN that cannot exist, so both answer in about the same time.
 *
 * Checks take turns in `checkQueue`, one lane per client address, like the users file's
 * argon2 checks (directory/hash-queue.ts): fifty parallel guesses from one address wait behind
 * each other instead of holding every pooled connection, a full lane answers "busy", and an
 * imitated check (an attempt regulation refused) waits in the same lane as a real one. The
 * queue is LDAP's own, as wide as the pool: a check waits on the network, not on a core, and a
 * directory that stops answering must not hold the argon2 slots the users file's break-glass
 * administrators sign in with.
 *
 * The hot path never asks LDAP: it reads the user's shared record, which sign-in writes and
 * the background refresh renews, through a short-lived copy per instance.
 */
export function createLdapDirectory(deps: { logger: Logger; kv: Kv; now: () => number; checkQueue?: HashQueue }, options: LdapDirectoryOptions): LdapDirectory {
  const { settings } = options;
  const logger = deps.logger.child({ component: 'ldap' });
  const checkQueue = deps.checkQueue ?? createHashQueue({ concurrency: settings.poolSize });
  const open = () => openLdapConnection(settings, { logger });
  const searches: ConnectionPool = createConnectionPool({ open, size: settings.poolSize, waitMs: settings.timeoutMs });
  const binds: ConnectionPool = createConnectionPool({ open, size: settings.poolSize, waitMs: settings.timeoutMs });
  const records = createUserRecords({ kv: deps.kv, logger, now: deps.now }, { mirrorTtlMs: options.mirrorTtlMs, recordTtlSeconds: options.recordTtlSeconds });
  const listeners = new Set<(change: DirectoryChange) => void>();
  const timing = createFailureTiming(deps.now);

  const refresher = createUserRefresher(
    {
      kv: deps.kv,
      logger,
      now: deps.now,
      records,
      lookup: lookupForRefresh,
      ...(options.hasSessions ? { hasSessions: options.hasSessions } : {}),
      onChange: (change) => {
        for (const listener of listeners) {
          try {
            listener(change);
          } catch (error) {
            logger.error({ err: error }, 'directory change listener failed');
          }
        }
      },
    },
    { intervalMs: settings.refreshIntervalMs, concurrency: settings.poolSize, start: options.refresh !== false },
  );

  /** A bind no account can pass, so an unknown name costs what a wrong password costs. */
  async function dummyBind(): Promise<void> {
    await binds.use(async (connection) => {
      try {
        await connection.bind(`cn=gatehouse-no-such-user-${randomToken(12)},${settings.users.baseDn}`, randomToken(24));
      } catch (error) {
        if (!(error instanceof ResultCodeError)) throw error;
      }
    });
  }

  /** Whether the entry may have a session now, and if not, the page that says why. */
  function blockingState(state: AccountState, mustChange: boolean): DirectoryState | undefined {
    if (state.disabled) return 'account-disabled';
    if (state.accountExpired) return 'account-expired';
    if (state.mustChange || mustChange) return 'password-must-change';
    if (state.passwordExpired) return 'password-expired';
    return undefined;
  }

  const lookup = (typed: string) => lookupLdapUser(searches, settings, deps.now, typed);

  async function lookupForRefresh(username: string): Promise<RefreshLookup> {
    const result = await lookup(username);
    // A name that now finds another account (a userPrincipalName reused) is not this user.
    if (result.kind === 'found' && result.record.user.username !== username) return { kind: 'gone', reason: 'not-found' };
    return result;
  }

  /**
   * A record's user while it is fresh enough; null once the directory has not confirmed it for
   * too long. Two intervals, because rounds start when a lease frees up and may come a little
   * late; refresh_grace then counts from the missed round.
   */
  function current(record: LdapUserRecord | null): SessionUser | null {
    if (record === null) return null;
    const age = deps.now() - record.checkedAt;
    return age <= 2 * settings.refreshIntervalMs + settings.refreshGraceMs ? record.user : null;
  }

  async function verifyInTurn(typed: string, password: string, options: VerifyOptions | undefined): Promise<FirstFactorResult> {
    const startedAt = deps.now();
    const name = typeof typed === 'string' ? searchableUsername(typed) : undefined;
    if (name === undefined || !isAcceptablePassword(password)) {
      await timing.pad(startedAt);
      return INVALID;
    }
    const found = await searches.use((connection) => findUserEntry(connection, settings, name));
    const username = found.kind === 'found' ? canonicalUsername(found.entry, settings) : undefined;
    if (found.kind !== 'found' || username === undefined) {
      if (found.kind === 'ambiguous') logger.warn({ username: name }, 'the user filter finds more than one entry for this name; refusing it');
      if (found.kind === 'found') logger.error({ dn: found.entry.dn, attribute: settings.attributes.username }, 'the entry has no usable username value; refusing it');
      await dummyBind();
      await timing.pad(startedAt);
      return INVALID;
    }
    if (options?.mayVerify && !(await options.mayVerify(username))) {
      await timing.pad(startedAt);
      return { ok: false, reason: 'invalid-credentials', username };
    }
    const { entry } = found;
    const outcome = await binds.use((connection) => bindUser(connection, entry.dn, password));
    if (!outcome.ok) {
      logger.info({ username, result: outcome.detail }, 'LDAP bind refused');
      if (outcome.reason === 'state') return { ok: false, reason: 'account-state', state: outcome.state, username };
      timing.noteWrongPassword(startedAt);
      return { ok: false, reason: 'invalid-credentials', username };
    }
    // The password is right: from here on the account's state may be told.
    const state = stateOf(entry, deps.now());
    const blocked = blockingState(state, outcome.mustChange);
    if (blocked) return { ok: false, reason: 'account-state', state: blocked, username };
    const groups = await searches.use((connection) => resolveGroups(connection, settings, { entry, username }));
    if (groups.truncated) logger.warn({ username, groups: groups.names.length }, 'nested groups cut at groups.max_depth or the group limit');
    const user = userFromEntry(entry, settings, groups.names)!;
    const now = deps.now();
    await records.save({ dn: entry.dn, user, passwordMark: state.passwordMark, checkedAt: now, signedInAt: now });
    return { ok: true, user };
  }

  return {
    async verifyPassword(typed, password, options) {
      const queued = await checkQueue.run(hashLaneOf(options?.clientIp ?? ''), () => verifyInTurn(typed, password, options));
      return queued.ok ? queued.value : BUSY[queued.reason];
    },

    async imitateVerify(_typed, options) {
      const queued = await checkQueue.run(hashLaneOf(options?.clientIp ?? ''), () => timing.pad(deps.now()));
      return queued.ok ? INVALID : BUSY[queued.reason];
    },

    findUser(username) {
      const key = typeof username === 'string' ? searchableUsername(username)?.toLowerCase() : undefined;
      const record = key === undefined ? undefined : records.peek(key);
      return record ? (current(record) ?? undefined) : undefined;
    },

    peekSessionUser(user) {
      const record = records.peek(user.username);
      return record === undefined ? undefined : current(record);
    },

    async loadSessionUser(user) {
      return current(await records.load(user.username));
    },

    async lookupUser(typed) {
      const result = await lookup(typed);
      if (result.kind !== 'found' || blockingState(result.state, false)) return undefined;
      await records.save(result.record);
      return result.record.user;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    refreshAll: () => refresher.refreshAll(),

    close() {
      refresher.stop();
      searches.close();
      binds.close();
      void records.close();
      listeners.clear();
    },
  };
}

/**
 * An empty password would make an unauthenticated bind, which servers answer with success;
 * one of only white space is refused too, in case anything on the way trims it to nothing.
 */
function isAcceptablePassword(password: unknown): password is string {
  return typeof password === 'string' && password.trim() !== '' && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}
