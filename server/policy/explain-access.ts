import { decide, findDomain, findResource, hasFirstFactor, hasSecondFactor, matchPathFor, matchesMethod, matchesNetwork, matchesSubject, newestFactorAt } from './match-rule.js';
import type { AccessSubject, AccessTarget, CompiledPolicy, CompiledRule, Decision, SubjectTerm } from './types.js';

export interface ExplainStep {
  rule: number;
  /** True for the rule that decided; false for each rule passed over. */
  matched: boolean;
  why: string;
}

export interface AccessExplanation {
  decision: Decision;
  /** The rules tried, in order, up to the one that decided. */
  steps: ExplainStep[];
  /** Why the deciding rule (or default_policy) gave this decision. */
  why: string;
}

/**
 * evaluateAccess with its reasons, for `gatehouse policy explain` and the admin console. It
 * decides with the same predicates, so it cannot disagree; it is not meant for the hot path.
 */
export function explainAccess(policy: CompiledPolicy, target: AccessTarget, subject: AccessSubject | null, now: number): AccessExplanation {
  const steps: ExplainStep[] = [];
  for (const rule of policy.rules) {
    const index = rule.index as number;
    const reasons: string[] = [];
    if (!explainTarget(rule, target, reasons)) {
      steps.push({ rule: index, matched: false, why: reasons.join('; ') });
      continue;
    }
    if (rule.subject !== undefined) {
      const wanted = formatSubject(rule.subject);
      if (subject === null) {
        const why = `subject ${wanted} needs to know who it is, and nobody is signed in`;
        steps.push({ rule: index, matched: true, why: [...reasons, why].join('; ') });
        return { decision: rule.decisions.login, steps, why };
      }
      if (!matchesSubject(rule.subject, subject)) {
        reasons.push(`${formatWho(subject)} is not ${wanted}`);
        steps.push({ rule: index, matched: false, why: reasons.join('; ') });
        continue;
      }
      reasons.push(`${formatWho(subject)} is ${wanted}`);
    }
    const decision = decide(rule, subject, now);
    const why = explainPolicy(rule, subject, now);
    steps.push({ rule: index, matched: true, why: [...reasons, why].join('; ') });
    return { decision, steps, why };
  }
  const why = `no rule matched; ${explainPolicy(policy.defaultRule, subject, now)}`;
  return { decision: decide(policy.defaultRule, subject, now), steps, why };
}

/** Human text: the decision, why, then each rule tried. */
export function formatExplanation(result: AccessExplanation): string {
  const lines = [`decision: ${formatDecision(result.decision)}`, `because: ${result.why}`];
  if (result.steps.length > 0) lines.push('rules tried:');
  for (const step of result.steps) lines.push(`  rule ${step.rule}: ${step.matched ? 'matched' : 'skipped'} — ${step.why}`);
  return lines.join('\n');
}

function formatDecision(decision: Decision): string {
  const where = decision.rule === 'default' ? 'default_policy' : `rule ${decision.rule}`;
  switch (decision.kind) {
    case 'allow':
      return `allow (${where}, policy ${decision.policy})`;
    case 'deny':
      return `deny (${where})`;
    case 'login':
      return decision.reauthenticate ? `login (${where}; sign in again${decision.maxAuthAge !== undefined ? `, max_auth_age ${decision.maxAuthAge}s` : ''})` : `login (${where})`;
    case 'step_up':
      return `step_up (${where}; factors ${decision.factors.join(', ')}${decision.maxAuthAge !== undefined ? `; max_auth_age ${decision.maxAuthAge}s` : ''})`;
  }
}

/** Pushes one reason per criterion checked, stopping at the first that fails (as evaluation does). */
function explainTarget(rule: CompiledRule, target: AccessTarget, reasons: string[]): boolean {
  const pattern = findDomain(rule, target.domain);
  if (pattern === undefined) {
    reasons.push(`domain ${target.domain} not in ${list(rule.domains?.source ?? [])}`);
    return false;
  }
  reasons.push(`domain ${target.domain} matched ${pattern}`);
  if (rule.methods !== undefined) {
    const ok = matchesMethod(rule, target.method);
    reasons.push(`method ${target.method} ${ok ? 'in' : 'not in'} ${list([...rule.methods])}`);
    if (!ok) return false;
  }
  if (rule.networks !== undefined) {
    const ok = matchesNetwork(rule, target.ip);
    reasons.push(`ip ${target.ip} ${ok ? 'in' : 'not in'} ${list(rule.networks.source)}`);
    if (!ok) return false;
  }
  if (rule.resources !== undefined) {
    const found = findResource(rule, matchPathFor(target), target.caseInsensitivePaths);
    const how = target.caseInsensitivePaths ? ' (ignoring case)' : '';
    if (found === -1) {
      reasons.push(`path ${target.path} matched none of ${list(rule.resources.map((r) => r.source))}${how}`);
      return false;
    }
    reasons.push(`path ${target.path} matched ${rule.resources[found]!.source}${how}`);
  }
  return true;
}

function explainPolicy(rule: CompiledRule, who: AccessSubject | null, now: number): string {
  const policy = `${rule.index === 'default' ? 'default_policy' : 'policy'} ${rule.policy}`;
  const maxAge = rule.maxAuthAge === undefined ? '' : ` within max_auth_age ${rule.maxAuthAge}s`;
  if (rule.policy === 'bypass' || rule.policy === 'deny') return policy;
  if (who === null) return `${policy}: nobody is signed in`;
  if (rule.policy === 'one_factor') {
    if (!hasFirstFactor(rule, who)) {
      const passkey = rule.passwordless ? 'nor a passkey with user verification' : 'and passwordless is off here';
      return `${policy}: ${who.username} signed in without the password, ${passkey}`;
    }
    if (rule.maxAuthAgeMs === undefined) return `${policy}: ${who.username} is signed in`;
    const newest = newestFactorAt(who);
    const age = newest === -Infinity ? 'no factor' : `last factor ${ageSeconds(newest, now)}s ago`;
    return `${policy}: ${age}, ${decide(rule, who, now) === rule.decisions.allow ? 'which is' : 'not'}${maxAge}`;
  }
  const kinds = rule.factors === undefined ? 'any second factor' : `a second factor of ${list([...rule.factors])}`;
  if (hasSecondFactor(rule, who, now)) return `${policy}: ${who.username} used ${kinds}${maxAge}`;
  return `${policy}: ${who.username} has not used ${kinds}${maxAge}`;
}

function ageSeconds(at: number, now: number): number {
  return Math.round((now - at) / 1000);
}

function formatSubject(subject: readonly (readonly SubjectTerm[])[]): string {
  const alternatives = subject.map((all) => {
    const terms = all.map((t) => `${t.kind}:${t.name}`);
    return terms.length > 1 && subject.length > 1 ? `(${terms.join(' and ')})` : terms.join(' and ');
  });
  return alternatives.join(' or ');
}

function formatWho(who: AccessSubject): string {
  return `user ${who.username} (groups ${who.groups.length > 0 ? who.groups.join(', ') : 'none'})`;
}

function list(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}
