import type { PolicyLevel, SecondFactorKind } from '../config/schema.js';
import type { FactorUse } from '../session/session.js';

/** The request as the upstream will see it, after host and path normalization. */
export interface AccessTarget {
  /**
   * Lower-case host name without port, as parseHostHeader returns it. A trailing dot is kept
   * and then matches no rule (see parseHostHeader for why).
   */
  domain: string;
  /** The `matchPath` of normalizePath: normalized, `;params` removed, without the query. */
  path: string;
  /**
   * The site's `case_insensitive_paths`: its upstream ignores letter case, so resource patterns
   * match the path ignoring it (ASCII letters, and the escaped letters foldPathCase folds).
   */
  caseInsensitivePaths: boolean;
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
  /**
   * Sign in first: nobody is signed in, and the rule needs someone (or may, by its subject).
   * `reauthenticate`: someone is signed in, but their newest factor is older than the rule's
   * `maxAuthAge` (seconds): they must sign in again.
   */
  | { kind: 'login'; rule: number | 'default'; reauthenticate?: true; maxAuthAge?: number }
  /** Signed in, but a (fresh) second factor is needed; `factors` lists which kinds count. */
  | { kind: 'step_up'; rule: number | 'default'; factors: readonly SecondFactorKind[]; maxAuthAge?: number };

/** One term of a rule's subject: `user:alice` or `group:dev`. */
export interface SubjectTerm {
  kind: 'user' | 'group';
  name: string;
}

/** A rule (or the default policy) compiled at boot; evaluateAccess only reads it. */
export interface CompiledRule {
  /** Position in access_control.rules, or 'default' for default_policy. */
  index: number | 'default';
  policy: PolicyLevel;
  /** Exact hosts, and `*.x` patterns as their suffix (".x"); undefined: any host (default only). */
  domains?: { exact: ReadonlySet<string>; suffixes: readonly string[]; source: readonly string[] };
  /**
   * Patterns anchored at both ends; `source` as written in the config. `matchesIgnoringCase`
   * is the same pattern, case-folded and compiled case-insensitively, for a path already
   * through foldPathCase.
   */
  resources?: readonly { source: string; matches: (path: string) => boolean; matchesIgnoringCase: (path: string) => boolean }[];
  methods?: ReadonlySet<string>;
  networks?: { source: readonly string[]; matches: (ip: string) => boolean };
  /** OR of ANDs. */
  subject?: readonly (readonly SubjectTerm[])[];
  /** Second factors that count for two_factor; undefined: any. */
  factors?: ReadonlySet<SecondFactorKind>;
  /** max_auth_age in seconds and in milliseconds. */
  maxAuthAge?: number;
  maxAuthAgeMs?: number;
  /** Whether a passkey with user verification alone satisfies two_factor here. */
  passwordless: boolean;
  /** Every answer this rule can give, built once so evaluation allocates nothing. */
  decisions: {
    allow: Decision;
    deny: Decision;
    login: Decision;
    reauthenticate: Decision;
    stepUp: Decision;
  };
}

export interface CompiledPolicy {
  rules: readonly CompiledRule[];
  /**
   * For each host named exactly in some rule, the rules (in order) whose domains match it;
   * any other host can only match the rules with a `*.` pattern, `wildcardRules`. Lets a
   * request skip the rules of every other site.
   */
  rulesByDomain: ReadonlyMap<string, readonly CompiledRule[]>;
  wildcardRules: readonly CompiledRule[];
  defaultRule: CompiledRule;
  /**
   * `second_factors.webauthn.passwordless`: a passkey with user verification alone counts where no
   * rule says otherwise, and on the portal itself (the admin API, a sign-in with no target).
   */
  passwordless: boolean;
  /** Things that parse but probably do not mean what was intended; main logs them at boot. */
  warnings: readonly string[];
}
