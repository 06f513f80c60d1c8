import type { SessionUser } from '../session/session.js';

export type FirstFactorResult =
  | { ok: true; user: SessionUser }
  /** One reason for unknown user, wrong password and disabled user: the caller must not tell them apart. */
  | { ok: false; reason: 'invalid-credentials' };

/** Where first-factor identities come from: a users file now, LDAP later. */
export interface Directory {
  /** Checks a username and password in about the same time whether the user exists or not. */
  verifyPassword(username: string, password: string): Promise<FirstFactorResult>;
  /** The user's current record, or undefined when unknown or disabled. */
  findUser(username: string): SessionUser | undefined;
  close(): void;
}
