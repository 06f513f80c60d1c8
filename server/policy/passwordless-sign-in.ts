import type { FactorUse } from '../session/session.js';
import { evaluateAccess } from './evaluate-access.js';
import { matchPathFor, matchesTarget } from './match-rule.js';
import type { AccessTarget, CompiledPolicy, CompiledRule } from './types.js';

/**
 * Where a passkey alone may sign in, decided from the compiled config and the target the sign-in
 * is for (its `rd`; null for the portal itself) — never from anything the browser says about it.
 * Without a target only `second_factors.webauthn.passwordless` counts: a rule's `passwordless`
 * speaks for that rule's sites, not for the portal or any other site.
 */

/**
 * Before the passkey is used nobody knows who it is, so a rule with a subject might or might not
 * apply: the sign-in is offered when some rule that could decide the target allows passwordless.
 * allowsPasswordless decides exactly once the user is known.
 */
export function mayOfferPasswordless(policy: CompiledPolicy, target: AccessTarget | null): boolean {
  if (target === null) return policy.passwordless;
  const rules = policy.rulesByDomain.get(target.domain) ?? policy.wildcardRules;
  const path = matchPathFor(target);
  for (const rule of rules) {
    if (!matchesTarget(rule, target.domain, target.method, target.ip, path, target.caseInsensitivePaths)) continue;
    if (rule.subject === undefined) return rule.passwordless;
    // Someone it names could sign in with a passkey here; someone else falls through to later rules.
    if (rule.passwordless) return true;
  }
  return policy.defaultRule.passwordless;
}

/**
 * Whether `passkey`, just verified for `who`, may make a session on its own: it was verified with
 * user verification (possession + PIN or biometric), and the rule that decides the target for
 * this user allows passwordless.
 */
export function allowsPasswordless(
  policy: CompiledPolicy,
  target: AccessTarget | null,
  who: { username: string; groups: readonly string[] },
  passkey: FactorUse,
  now: number,
): boolean {
  if (passkey.kind !== 'webauthn' || passkey.userVerified !== true) return false;
  if (target === null) return policy.passwordless;
  const decision = evaluateAccess(policy, target, { ...who, factors: [passkey] }, now);
  return ruleOf(policy, decision.rule).passwordless;
}

function ruleOf(policy: CompiledPolicy, index: number | 'default'): CompiledRule {
  return index === 'default' ? policy.defaultRule : policy.rules[index]!;
}
