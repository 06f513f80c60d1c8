import { foldPathCase } from './fold-path-case.js';
import { matchesSuffix } from './normalize-host.js';
import type { AccessSubject, AccessTarget, CompiledRule, Decision, SubjectTerm } from './types.js';

/**
 * The criteria of one rule, one predicate each. evaluateAccess and explainAccess both decide
 * with these, so the explanation cannot drift from the decision.
 */

/** The matching domain pattern, or undefined. A rule without domains (the default) matches any. */
export function findDomain(rule: CompiledRule, domain: string): string | undefined {
  const domains = rule.domains;
  if (domains === undefined) return '*';
  if (domains.exact.has(domain)) return domain;
  for (const suffix of domains.suffixes) {
    if (matchesSuffix(domain, suffix)) return '*' + suffix;
  }
  return undefined;
}

/**
 * Methods are case-sensitive in HTTP, but some upstreams upper-case them before routing; a
 * rule about DELETE must not be dodged with "delete".
 */
export function matchesMethod(rule: CompiledRule, method: string): boolean {
  const methods = rule.methods;
  if (methods === undefined || methods.has(method)) return true;
  return /[a-z]/.test(method) && methods.has(method.toUpperCase());
}

export function matchesNetwork(rule: CompiledRule, ip: string): boolean {
  return rule.networks === undefined || rule.networks.matches(ip);
}

/**
 * Index of the first resource pattern the path matches; -1 for none; 0 when the rule has none.
 * With `ignoreCase` the path must have been through foldPathCase (see matchPathFor).
 */
export function findResource(rule: CompiledRule, path: string, ignoreCase: boolean): number {
  const resources = rule.resources;
  if (resources === undefined) return 0;
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]!;
    if (ignoreCase ? resource.matchesIgnoringCase(path) : resource.matches(path)) return i;
  }
  return -1;
}

/** The path resource patterns see: folded once per request for a case-insensitive site. */
export function matchPathFor(target: AccessTarget): string {
  return target.caseInsensitivePaths ? foldPathCase(target.path) : target.path;
}

export function matchesTarget(rule: CompiledRule, domain: string, method: string, ip: string, path: string, ignoreCase: boolean): boolean {
  return findDomain(rule, domain) !== undefined && matchesMethod(rule, method) && matchesNetwork(rule, ip) && findResource(rule, path, ignoreCase) !== -1;
}

/** OR of ANDs. Only called with a rule that has a subject. */
export function matchesSubject(subject: readonly (readonly SubjectTerm[])[], who: AccessSubject): boolean {
  for (const all of subject) {
    let ok = true;
    for (const term of all) {
      if (term.kind === 'user' ? term.name !== who.username : !who.groups.includes(term.name)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** What a rule that matched (target and subject) answers. */
export function decide(rule: CompiledRule, who: AccessSubject | null, now: number): Decision {
  const { decisions } = rule;
  switch (rule.policy) {
    case 'bypass':
      return decisions.allow;
    case 'deny':
      return decisions.deny;
    case 'one_factor':
      if (who === null) return decisions.login;
      // A session is not a sign-in: it must hold a factor that signs in here.
      if (!hasFirstFactor(rule, who)) return decisions.reauthenticate;
      return rule.maxAuthAgeMs === undefined || isFresh(newestFactorAt(who), rule.maxAuthAgeMs, now) ? decisions.allow : decisions.reauthenticate;
    case 'two_factor':
      if (who === null) return decisions.login;
      if (hasSecondFactor(rule, who, now)) return decisions.allow;
      // A passkey-only session where passwordless does not count lacks the password: sign in
      // with it, rather than be sent round the second step again.
      return who.factors.some((f) => f.kind === 'password') ? decisions.stepUp : decisions.reauthenticate;
  }
}

/**
 * One factor: the password — or, where the rule allows passwordless, a passkey verified with user
 * verification. A second factor alone (a TOTP code, a push approval, a passkey without user
 * verification or where passwordless is off) never signs anyone in.
 */
export function hasFirstFactor(rule: CompiledRule, who: AccessSubject): boolean {
  for (const use of who.factors) {
    if (use.kind === 'password') return true;
    if (rule.passwordless && use.kind === 'webauthn' && use.userVerified === true) return true;
  }
  return false;
}

/**
 * Two factors: the password plus a second factor the rule accepts, fresh enough — or, where the
 * rule allows passwordless, a passkey verified with user verification (possession + PIN or
 * biometric) on its own.
 */
export function hasSecondFactor(rule: CompiledRule, who: AccessSubject, now: number): boolean {
  let hasPassword = false;
  for (const use of who.factors) if (use.kind === 'password') hasPassword = true;
  for (const use of who.factors) {
    if (use.kind === 'password') continue;
    if (rule.factors !== undefined && !rule.factors.has(use.kind)) continue;
    if (rule.maxAuthAgeMs !== undefined && !isFresh(use.at, rule.maxAuthAgeMs, now)) continue;
    if (hasPassword || (rule.passwordless && use.kind === 'webauthn' && use.userVerified === true)) return true;
  }
  return false;
}

/** -Infinity when the session lists no factor at all: never fresh. */
export function newestFactorAt(who: AccessSubject): number {
  let newest = -Infinity;
  for (const use of who.factors) if (use.at > newest) newest = use.at;
  return newest;
}

function isFresh(at: number, maxAgeMs: number, now: number): boolean {
  return now - at <= maxAgeMs;
}
