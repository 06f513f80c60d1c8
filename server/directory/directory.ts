import type { SessionUser } from '../session/session.js';

export type FirstFactorResult =
  | { ok: true; user: SessionUser }
  /** One reason for unknown user, wrong password and disabled user: the caller must not tell them apart. */
  | { ok: false; reason: 'invalid-credentials' }
  /**
   * Not checked: too many checks from this client address (`address`) or from everyone
   * (`all`) are waiting for the hash queue. Decided before the account is looked at, so it
   * says nothing about it; the caller answers "busy, try again in a moment".
   */
  | { ok: false; reason: 'busy'; scope: 'address' | 'all' };

/** Where first-factor identities come from: the users file (directory/users-file.ts). */
export interface Directory {
  /**
   * Checks a username and password in about the same time whether the user exists or not.
   * `clientIp` picks the check's lane in the hash queue: checks are shared fairly between
   * client addresses.
   */
  verifyPassword(username: string, password: string, options?: { clientIp?: string }): Promise<FirstFactorResult>;
  /** The user's current record, or undefined when unknown or disabled. */
  findUser(username: string): SessionUser | undefined;
  /**
   * Calls `listener` after the directory's users changed (a users-file reload). Optional: a
   * directory that cannot tell (LDAP) leaves it out. Returns a function that unsubscribes.
   */
  onChange?(listener: (change: DirectoryChange) => void): () => void;
  /**
   * Every user, disabled ones included, sorted by username: for administrators. Optional: a
   * directory that cannot enumerate its users cheaply leaves it out.
   */
  listUsers?(): DirectoryEntry[];
  close(): void;
}

/** A user as an administrator sees them: disabled users too. */
export interface DirectoryEntry extends SessionUser {
  disabled: boolean;
}

/** What a reload changed, by lower-case username. */
export interface DirectoryChange {
  /** Disabled, removed, or given a new password: end their sessions (ASVS 7.4.2). */
  revoked: readonly string[];
  /** Still active with a new display name, email or groups: findUser has the new record. */
  updated: readonly string[];
}
