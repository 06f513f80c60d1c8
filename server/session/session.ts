import type { SecondFactorKind } from '../config/schema.js';

export type FactorKind = 'password' | SecondFactorKind;

/** One factor the user presented in this session, and when (ms since epoch). */
export interface FactorUse {
  kind: FactorKind;
  at: number;
  /** The device or credential used, for second factors. */
  device?: string;
  /** WebAuthn: the authenticator verified the user (PIN or biometric). */
  userVerified?: boolean;
}

/** What a session knows about its user, copied from the directory at sign-in. */
export interface SessionUser {
  username: string;
  displayName: string;
  email: string;
  groups: string[];
  /** From the directory (LDAP), for a later SMS factor; never sent upstream. */
  mobile?: string;
  /** Set by the LDAP directory: such a session is only ever resolved against LDAP, never the users file. */
  source?: 'ldap';
}

export interface Session {
  user: SessionUser;
  factors: FactorUse[];
  createdAt: number;
  /** Last time the session was seen active; written at most once per half idle window. */
  lastActiveAt: number;
  /** Absolute end, whatever the activity. */
  expiresAt: number;
  /** Idle timeout of this session in seconds (remember-me sessions get the longer one). */
  idleSeconds: number;
  rememberMe: boolean;
  /**
   * Where the session was signed in from, shown to its user ("Where you're signed in") and to
   * administrators: the client address and the browser's User-Agent (cut to 256 characters).
   * Absent on sessions made before it was recorded.
   */
  client?: { ip: string; userAgent: string | null };
  /** Synchronizer token for state-changing portal requests of this session. */
  csrf: string;
  /**
   * Set when a user with no second factor proved it is them with an enrollment code: until
   * then (ms since epoch) they may add their first factor.
   */
  enrollmentAllowedUntil?: number;
}
