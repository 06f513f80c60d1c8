import type { SessionUser } from '../session/session.js';
import type { UsersFileStatus } from './users-file.js';

/**
 * An account state the directory server reported for a user whose password was right (or that
 * it reports whatever the password): the user gets a page that says what to do, not "wrong password".
 */
export type DirectoryState = 'password-expired' | 'password-must-change' | 'account-disabled' | 'account-expired';

export type FirstFactorResult =
  | { ok: true; user: SessionUser }
  /**
   * One reason for unknown user, wrong password and disabled user: the caller must not tell
   * them apart. `username`, when present, is the account's name for the audit log only.
   */
  | { ok: false; reason: 'invalid-credentials'; username?: string }
  | { ok: false; reason: 'account-state'; state: DirectoryState; username: string }
  /**
   * Not checked: too many checks from this client address (`address`) or from everyone
   * (`all`) are waiting for their turn (the hash queue, or LDAP's queue of checks). Decided
   * before the account is looked at, so it says nothing about it; the caller answers "busy,
   * try again in a moment".
   */
  | { ok: false; reason: 'busy'; scope: 'address' | 'all' };

/** What an imitated check answers: it never signs anyone in, but may be turned away like a real one. */
export type ImitationResult = { ok: false; reason: 'invalid-credentials' } | { ok: false; reason: 'busy'; scope: 'address' | 'all' };

export interface VerifyOptions {
  /**
   * Picks the check's lane in its queue: checks are shared fairly between client addresses
   * (directory/hash-queue.ts).
   */
  clientIp?: string;
  /**
   * Asked once the directory knows which account a typed name is (an LDAP search may find it
   * by an alias, or by a spelling the server treats as the same), before the password is sent
   * anywhere: false refuses the attempt without a bind, in the time a wrong password takes.
   * Regulation answers it, so that no spelling of a name escapes the account's own counters.
   */
  mayVerify?: (account: string) => Promise<boolean>;
}

/** Where first-factor identities come from: a users file, LDAP, or both. */
export interface Directory {
  /**
   * Checks a username and password in about the same time whether the user exists or not.
   * Rejects with DirectoryUnavailableError when a directory server cannot be asked.
   */
  verifyPassword(username: string, password: string, options?: VerifyOptions): Promise<FirstFactorResult>;
  /**
   * Takes about as long as verifyPassword, and waits in the same lane, without asking any
   * server: for attempts regulation refused, so that a directory server never sees a bind once
   * an account is locked, while the answer (its time, or "busy") is what a check would give.
   * Optional: the users file verifies anyway (it asks nobody).
   */
  imitateVerify?(username: string, options?: Pick<VerifyOptions, 'clientIp'>): Promise<ImitationResult>;
  /** The user's current record, or undefined when unknown or disabled (LDAP: only users this instance holds). */
  findUser(username: string): SessionUser | undefined;
  /**
   * The user a live session should carry now, decided without waiting: null when they lost it
   * (removed, disabled, or the directory could not confirm them for too long); undefined when
   * only loadSessionUser can tell. Optional: without it, findUser decides.
   */
  peekSessionUser?(user: SessionUser): SessionUser | null | undefined;
  /** What peekSessionUser would answer, after reading what it lacked from the shared store. */
  loadSessionUser?(user: SessionUser): Promise<SessionUser | null>;
  /**
   * The user as the directory has them now, asking its server if need be (off the hot path: a
   * passkey sign-in, an administrator). LDAP also starts refreshing them. Optional: findUser.
   */
  lookupUser?(username: string): Promise<SessionUser | undefined>;
  /**
   * Calls `listener` after the directory's users changed (a users-file reload, an LDAP refresh).
   * Returns a function that unsubscribes.
   */
  onChange?(listener: (change: DirectoryChange) => void): () => void;
  /**
   * Every user, disabled ones included, sorted by username: for administrators. Optional: a
   * directory that cannot enumerate its users cheaply leaves it out.
   */
  listUsers?(): DirectoryEntry[];
  /** The users file's start and latest re-read, when there is a users file: for the admin console. */
  usersFileStatus?(): UsersFileStatus;
  close(): void;
}

/** A user as an administrator sees them: disabled users too. */
export interface DirectoryEntry extends SessionUser {
  disabled: boolean;
}

/** What a reload or refresh changed, by lower-case username. */
export interface DirectoryChange {
  /** Disabled, removed, or given a new password: end their sessions (ASVS 7.4.2). */
  revoked: readonly string[];
  /** Still active with a new display name, email or groups: findUser has the new record. */
  updated: readonly string[];
  /** Which directory: for the audit log. */
  source?: 'users-file' | 'ldap';
}

/** The user as the directory has them now: lookupUser where there is one, else findUser. */
export async function resolveUser(directory: Pick<Directory, 'findUser' | 'lookupUser'>, username: string): Promise<SessionUser | undefined> {
  return directory.lookupUser ? directory.lookupUser(username) : directory.findUser(username);
}
