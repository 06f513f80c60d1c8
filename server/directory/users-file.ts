import { readFile } from 'node:fs/promises';
import type { Logger } from '../core/logger.js';
import { randomToken } from '../core/random.js';
import type { SessionUser } from '../session/session.js';
import type { Directory, DirectoryChange, DirectoryEntry, FirstFactorResult } from './directory.js';
import { createHashQueue, hashLaneOf, type HashQueue } from './hash-queue.js';
import {
  DEFAULT_HASH_POLICY,
  DIRECT_HASHER,
  hashPassword,
  isAcceptablePasswordLength,
  MAX_USERNAME_LENGTH,
  parseArgon2idHash,
  sameParameters,
  verifyPasswordHash,
  type HashPolicy,
  type PasswordHasher,
} from './password-hash.js';
import { normalizeUsername, parseUsersFile, type UserRecord } from './parse-users-file.js';
import { fileSignature, watchFileChanges } from './watch-file.js';

export interface UsersFileOptions {
  path: string;
  /** Re-read the file when it changes. */
  watch: boolean;
  debounceMs?: number;
  pollIntervalMs?: number;
}

export interface UsersFileDirectory extends Directory {
  listUsers(): DirectoryEntry[];
  /** Whether the file names this user, disabled or not: such a name is the file's alone. */
  knows(username: string): boolean;
  onChange(listener: (change: DirectoryChange) => void): () => void;
  /** Re-reads the file now (the watcher calls this; main may call it on SIGHUP). Never throws. */
  reload(): Promise<void>;
  /** When the file was read at start, and how the latest re-read ended: for the admin console. */
  reloadStatus(): UsersFileStatus;
}

/**
 * How the latest re-read of the users file ended. `unchanged`: the same text again (a touch);
 * `unreadable` and `invalid` keep the last good users. `errors` are the parser's messages,
 * which name paths and never quote a password hash (parse-users-file.ts); `code` is the file
 * system's error code.
 */
export type UsersFileReload =
  | { at: number; result: 'reloaded'; users: number }
  | { at: number; result: 'unchanged' }
  | { at: number; result: 'unreadable'; code: string }
  | { at: number; result: 'invalid'; errors: readonly string[] };

export interface UsersFileStatus {
  path: string;
  watch: boolean;
  loadedAt: number;
  /** null until the file is re-read once. */
  lastReload: UsersFileReload | null;
}

/** Parser messages kept for the console: enough to say what to fix, never the whole list of a broken file. */
const MAX_KEPT_ERRORS = 5;

/** Thrown at boot when the users file cannot be read or is invalid; `errors` lists every problem. */
export class UsersFileError extends Error {
  constructor(
    readonly path: string,
    readonly errors: readonly string[],
  ) {
    super(`users file ${path} is invalid:\n  ${errors.join('\n  ')}`);
    this.name = 'UsersFileError';
  }
}

const INVALID: FirstFactorResult = Object.freeze({ ok: false, reason: 'invalid-credentials' });

const BUSY_ADDRESS: FirstFactorResult = Object.freeze({ ok: false, reason: 'busy', scope: 'address' });
const BUSY_ALL: FirstFactorResult = Object.freeze({ ok: false, reason: 'busy', scope: 'all' });

/**
 * `hashQueue`: shared fairly between client addresses; the gateway sizes it from config.
 * `hashPolicy`: the configured profile (authentication.password_hash), or a cheap one in tests.
 * `hasher`: where argon2 runs; the gateway passes its pool of low-priority worker threads.
 */
export async function createUsersFileDirectory(
  deps: { logger: Logger; hashQueue?: HashQueue; hashPolicy?: HashPolicy; hasher?: PasswordHasher; now?: () => number },
  options: UsersFileOptions,
): Promise<UsersFileDirectory> {
  const { logger, hashPolicy = DEFAULT_HASH_POLICY, hasher = DIRECT_HASHER } = deps;
  const log = logger.child({ component: 'users-file', path: options.path });
  const hashQueue = deps.hashQueue ?? createHashQueue();
  // Taken before the read: a change between the two is then seen by the first poll.
  const baseline = await fileSignature(options.path);
  let lastText = await readFile(options.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsersFileError(options.path, [`cannot be read (${error.code ?? 'error'})`]);
  });
  const initial = parseUsersFile(lastText, hashPolicy);
  if (!initial.ok) throw new UsersFileError(options.path, initial.errors);
  for (const warning of initial.warnings) log.warn(warning);
  let users = initial.users;
  log.info({ users: users.size }, 'users file loaded');
  const now = deps.now ?? Date.now;
  const loadedAt = now();
  let lastReload: UsersFileReload | null = null;

  // Unknown and disabled users are checked against this, so they cost one argon2 run like everyone
  // else. It is made on the first sign-in, and every sign-in awaits it alike, known user or not, so
  // the wait tells nothing about who exists; commands that only look users up never pay for it.
  let dummyHash: Promise<string> | undefined;
  const dummy = () =>
    (dummyHash ??= hashPassword(randomToken(24), hashPolicy, hasher).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    }));
  const lookup = (key: string | undefined) => (key === undefined ? undefined : users.get(key));
  /**
   * findUser answers every proxied request: it hands out one frozen copy per record, made when
   * first asked, instead of a new copy each time. A reload makes new records, hence new copies;
   * the records themselves never leave this module.
   */
  const sessionUsers = new WeakMap<UserRecord, SessionUser>();
  function sessionUserOf(record: UserRecord): SessionUser {
    let user = sessionUsers.get(record);
    if (!user) {
      const copy = toSessionUser(record);
      Object.freeze(copy.groups);
      sessionUsers.set(record, (user = Object.freeze(copy)));
    }
    return user;
  }
  const listeners = new Set<(change: DirectoryChange) => void>();
  // Users already told, per hash: one notice per stored hash and process, not one per sign-in.
  const rehashNoticed = new Set<string>();

  /**
   * A stored hash with other parameters than the profile still verifies. Gatehouse never
   * rewrites the operator's file, so "re-hashed at the next sign-in" is a notice: the user
   * and the parameters (never the hash), and the command that makes a hash with the profile.
   */
  function noticeOtherParameters(username: string, passwordHash: string): void {
    if (rehashNoticed.has(passwordHash)) return;
    const parsed = parseArgon2idHash(passwordHash, hashPolicy);
    if (!parsed.ok || sameParameters(parsed.parameters, hashPolicy.parameters)) return;
    rehashNoticed.add(passwordHash);
    const { memoryCost: m, timeCost: t, parallelism: p } = parsed.parameters;
    const want = hashPolicy.parameters;
    log.warn(
      { username, stored: `m=${m},t=${t},p=${p}`, profile: `m=${want.memoryCost},t=${want.timeCost},p=${want.parallelism}` },
      'users file: this user signed in with a password hash whose argon2id parameters are not authentication.password_hash; replace it with the output of `gatehouse hash-password`',
    );
  }

  async function reloadOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (error) {
      // Mid-rename or briefly removed: keep serving; the next event or poll tries again.
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      log.warn({ code }, 'users file unreadable; keeping the last good users');
      lastReload = { at: now(), result: 'unreadable', code };
      return;
    }
    if (text === lastText) {
      // Still invalid, the same text again: the earlier errors still stand.
      if (lastReload?.result !== 'invalid') lastReload = { at: now(), result: 'unchanged' };
      return;
    }
    lastText = text;
    const parsed = parseUsersFile(text, hashPolicy);
    if (!parsed.ok) {
      log.error({ errors: parsed.errors }, 'users file invalid; keeping the last good users');
      lastReload = { at: now(), result: 'invalid', errors: parsed.errors.slice(0, MAX_KEPT_ERRORS) };
      return;
    }
    for (const warning of parsed.warnings) log.warn(warning);
    const change = diffUsers(users, parsed.users);
    users = parsed.users;
    lastReload = { at: now(), result: 'reloaded', users: users.size };
    log.info({ users: users.size, revoked: change.revoked.length, updated: change.updated.length }, 'users file reloaded');
    if (change.revoked.length === 0 && change.updated.length === 0) return;
    for (const listener of listeners) {
      try {
        listener({ ...change, source: 'users-file' });
      } catch (error) {
        log.error({ err: error }, 'users change listener failed');
      }
    }
  }

  let running: Promise<void> | undefined;
  let again = false;
  function reload(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reloadOnce().catch((error: unknown) => log.error({ err: error }, 'users file reload failed'));
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const stopWatching = options.watch
    ? watchFileChanges(options.path, () => void reload(), {
        debounceMs: options.debounceMs ?? 200,
        pollIntervalMs: options.pollIntervalMs ?? 2000,
        baseline,
        onError: (error) => log.warn({ err: error }, 'users file watch failed; polling only'),
      })
    : () => {};

  return {
    async verifyPassword(username, password, { clientIp = '' } = {}) {
      // Input no user can have is refused before hashing: its length says nothing about who exists.
      if (typeof username !== 'string' || typeof password !== 'string') return INVALID;
      if (username.length > MAX_USERNAME_LENGTH || !isAcceptablePasswordLength(password)) return INVALID;
      const fallbackHash = await dummy();
      const key = normalizeUsername(username);
      const record = key === undefined ? undefined : users.get(key);
      const usable = record && !record.disabled ? record : undefined;
      // Known and unknown users queue alike, in the caller's lane, so waiting tells nothing either.
      const queued = await hashQueue.run(hashLaneOf(clientIp), () =>
        verifyPasswordHash(usable?.passwordHash ?? fallbackHash, password, {
          policy: hashPolicy,
          hasher,
          onError: (error) => log.error({ username: key, err: error }, 'stored password hash could not be checked'),
        }),
      );
      if (!queued.ok) return queued.reason === 'lane-full' ? BUSY_ADDRESS : BUSY_ALL;
      if (!queued.value || !usable) return INVALID;
      // A reload while argon2 ran may have disabled the user or changed the password.
      const current = users.get(usable.username);
      if (!current || current.disabled || current.passwordHash !== usable.passwordHash) return INVALID;
      noticeOtherParameters(current.username, current.passwordHash);
      return { ok: true, user: toSessionUser(current) };
    },
    findUser(username) {
      if (typeof username !== 'string') return undefined;
      // Every proxied request asks with the session's name, which is already a key (keys are
      // normalized names, and normalizing one gives it back): no regex for those.
      const record = users.get(username) ?? lookup(normalizeUsername(username));
      return record && !record.disabled ? sessionUserOf(record) : undefined;
    },
    knows(username) {
      const key = typeof username === 'string' ? normalizeUsername(username) : undefined;
      return key !== undefined && users.has(key);
    },
    listUsers() {
      return [...users.values()].map((record) => ({ ...toSessionUser(record), disabled: record.disabled })).sort((a, b) => a.username.localeCompare(b.username));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reload,
    reloadStatus: () => ({ path: options.path, watch: options.watch, loadedAt, lastReload }),
    close() {
      stopWatching();
      listeners.clear();
    },
  };
}

function toSessionUser(record: UserRecord): SessionUser {
  return { username: record.username, displayName: record.displayName, email: record.email, ...(record.mobile ? { mobile: record.mobile } : {}), groups: [...record.groups] };
}

function diffUsers(before: ReadonlyMap<string, UserRecord>, after: ReadonlyMap<string, UserRecord>): DirectoryChange {
  const revoked: string[] = [];
  const updated: string[] = [];
  for (const [username, old] of before) {
    if (old.disabled) continue;
    const now = after.get(username);
    if (!now || now.disabled || now.passwordHash !== old.passwordHash) revoked.push(username);
    else if (now.displayName !== old.displayName || now.email !== old.email || now.mobile !== old.mobile || now.groups.join('\n') !== old.groups.join('\n')) updated.push(username);
  }
  return { revoked, updated };
}
