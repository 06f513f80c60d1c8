import type { PolicyLevel, SecondFactorKind } from '../config/schema.js';
import type { FactorUse } from '../session/session.js';

/** The request as the upstream will see it, after host and path normalization. */
export interface AccessTarget {
  /** Lower-case host name without port or trailing dot. */
  domain: string;
  /** Normalized path (see normalizePath), without the query. */
  path: string;
  method: string;
  /** The client's address (the real peer, or the first untrusted X-Forwarded-For hop). */
  ip: string;
}

/** Who is asking; null for an anonymous request. */
export interface AccessSubject {
  username: string;
  groups: readonly string[];
  factors: readonly FactorUse[];
}

export type Decision =
  | { kind: 'allow'; rule: number | 'default'; policy: PolicyLevel }
  | { kind: 'deny'; rule: number | 'default' }
  /** Sign in first: nobody is signed in, and the rule needs someone (or may, by its subject). */
  | { kind: 'login'; rule: number | 'default' }
  /** Signed in, but a (fresh) second factor is needed; `factors` lists which kinds count. */
  | { kind: 'step_up'; rule: number | 'default'; factors: readonly SecondFactorKind[]; maxAuthAge?: number };
