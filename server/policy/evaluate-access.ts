import { decide, matchPathFor, matchesSubject, matchesTarget } from './match-rule.js';
import type { AccessSubject, AccessTarget, CompiledPolicy, Decision } from './types.js';

/**
 * Decides one request: rules in order, the first that matches wins, else default_policy.
 * Pure and allocation-free (every Decision is built by compilePolicy); it runs on every
 * proxied request, and only looks at the rules that can match its host (compilePolicy indexes
 * them). `target.path` is normalizePath's `matchPath`; `now` is ms since the epoch.
 *
 * For a site with case_insensitive_paths, resource patterns match ignoring letter case.
 *
 * A rule with a subject cannot be decided for an anonymous request: it answers `login`, since
 * who signs in decides whether it applies. For someone it does not name, it is skipped.
 */
export function evaluateAccess(policy: CompiledPolicy, target: AccessTarget, subject: AccessSubject | null, now: number): Decision {
  const { domain, method, ip, caseInsensitivePaths } = target;
  const path = matchPathFor(target);
  const rules = policy.rulesByDomain.get(domain) ?? policy.wildcardRules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!matchesTarget(rule, domain, method, ip, path, caseInsensitivePaths)) continue;
    if (rule.subject !== undefined) {
      if (subject === null) return rule.decisions.login;
      if (!matchesSubject(rule.subject, subject)) continue;
    }
    return decide(rule, subject, now);
  }
  return decide(policy.defaultRule, subject, now);
}
