import { RE2JS } from 're2js';
import { SECOND_FACTORS, type Config, type RuleConfig } from '../config/schema.js';
import { foldPathCase } from './fold-path-case.js';
import { literalPrefix } from './literal-prefix.js';
import { findDomain } from './match-rule.js';
import { compileNetworks } from './networks.js';
import type { CompiledPolicy, CompiledRule, Decision, SubjectTerm } from './types.js';

export type { CompiledPolicy } from './types.js';

type AccessControl = Config['access_control'];

/**
 * Compiles the access policy once at boot, so evaluating a request is only lookups and
 * linear-time regex runs. Config validation has already checked every pattern and CIDR: an
 * Error here, naming the config path, is a bug, and it stops the boot rather than a request.
 */
export function compilePolicy(access: AccessControl, options: { passwordless?: boolean } = {}): CompiledPolicy {
  const passwordless = options.passwordless ?? false;
  const warnings: string[] = [];
  for (const [name, cidrs] of Object.entries(access.networks)) {
    guard(`access_control.networks.${name}`, () => compileNetworks(cidrs));
  }
  const rules = access.rules.map((rule, index) => compileRule(rule, index, access.networks, warnings, passwordless));
  const defaultRule = withDecisions({
    index: 'default',
    policy: access.default_policy,
    domains: undefined,
    resources: undefined,
    methods: undefined,
    networks: undefined,
    subject: undefined,
    factors: undefined,
    maxAuthAge: undefined,
    maxAuthAgeMs: undefined,
    passwordless,
  });
  return Object.freeze({ rules: Object.freeze(rules), ...indexByDomain(rules), defaultRule, passwordless, warnings: Object.freeze(warnings) });
}

function indexByDomain(rules: readonly CompiledRule[]): Pick<CompiledPolicy, 'rulesByDomain' | 'wildcardRules'> {
  const rulesByDomain = new Map<string, readonly CompiledRule[]>();
  for (const rule of rules) {
    for (const domain of rule.domains!.exact) {
      if (!rulesByDomain.has(domain)) rulesByDomain.set(domain, Object.freeze(rules.filter((r) => findDomain(r, domain) !== undefined)));
    }
  }
  return { rulesByDomain, wildcardRules: Object.freeze(rules.filter((r) => r.domains!.suffixes.length > 0)) };
}

function compileRule(rule: RuleConfig, index: number, aliases: AccessControl['networks'], warnings: string[], passwordless: boolean): CompiledRule {
  const path = `access_control.rules[${index}]`;
  // Every rule gets every key, in one order: one hidden class keeps the hot loop monomorphic.
  const compiled: Omit<CompiledRule, 'decisions'> = {
    index,
    policy: rule.policy,
    domains: compileDomains(rule.domain, `${path}.domain`),
    resources: rule.resources?.map((p, j) => compileResource(p, `${path}.resources[${j}]`, warnings)),
    methods: rule.methods && new Set<string>(rule.methods),
    networks: rule.networks && { source: rule.networks, matches: guard(`${path}.networks`, () => compileNetworks(rule.networks!, aliases)) },
    subject: rule.subject?.map((item, j) => compileSubject(item, `${path}.subject[${j}]`)),
    factors: rule.factors && new Set(rule.factors),
    maxAuthAge: rule.max_auth_age,
    maxAuthAgeMs: rule.max_auth_age === undefined ? undefined : rule.max_auth_age * 1000,
    passwordless: rule.passwordless ?? passwordless,
  };
  return withDecisions(compiled);
}

function compileDomains(patterns: readonly string[], path: string): NonNullable<CompiledRule['domains']> {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  patterns.forEach((pattern, j) => {
    const body = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
    if (body === '' || body.includes('*') || body !== body.toLowerCase() || body.endsWith('.')) {
      throw new Error(`${path}[${j}]: "${pattern}" is not a lower-case domain or "*.domain"`);
    }
    if (body === pattern) exact.add(pattern);
    else suffixes.push(pattern.slice(1));
  });
  return { exact, suffixes, source: patterns };
}

/**
 * Always wrapped as `^(?:pattern)$`, even when the pattern has its own anchors: wrapping an
 * anchored pattern changes nothing, while trying to detect anchors goes wrong on `^a|b`,
 * which anchors only its first branch. `$` is end of text in RE2 (no multi-line flag).
 * testExact is a full match as well; the wrapper keeps the anchoring if that call changes.
 */
function compileResource(pattern: string, path: string, warnings: string[]): NonNullable<CompiledRule['resources']>[number] {
  const regex = guard(path, () => RE2JS.compile(`^(?:${pattern})$`));
  // For sites with case_insensitive_paths. Folding the pattern's escaped letters as the path's
  // are folded keeps a pattern written with `%C3%84` (Ä) matching `%C3%A4` (ä) and the reverse.
  const folded = guard(path, () => RE2JS.compile(`^(?:${foldPathCase(pattern)})$`, RE2JS.CASE_INSENSITIVE));
  if (pattern.startsWith('^') && !pattern.endsWith('$')) {
    // Written like a prefix match (as Authelia reads it); here it matches exactly that path only.
    warnings.push(`${path}: "${pattern}" is matched against the whole path; to cover what lies below it write "${pattern}(/.*)?"`);
  }
  // Case-sensitive matching only: the folded pattern is matched ignoring case.
  const prefix = literalPrefix(pattern);
  return { source: pattern, matches: (p) => p.startsWith(prefix) && regex.testExact(p), matchesIgnoringCase: (p) => folded.testExact(p) };
}

function compileSubject(item: string | readonly string[], path: string): readonly SubjectTerm[] {
  const terms = typeof item === 'string' ? [item] : item;
  return terms.map((term) => {
    const colon = term.indexOf(':');
    const kind = term.slice(0, colon);
    const name = term.slice(colon + 1);
    if ((kind !== 'user' && kind !== 'group') || name === '') throw new Error(`${path}: "${term}" is not "user:name" or "group:name"`);
    return { kind, name };
  });
}

function withDecisions(rule: Omit<CompiledRule, 'decisions'>): CompiledRule {
  const index = rule.index;
  const maxAuthAge = rule.maxAuthAge !== undefined ? { maxAuthAge: rule.maxAuthAge } : {};
  const decisions: CompiledRule['decisions'] = {
    allow: freeze({ kind: 'allow', rule: index, policy: rule.policy }),
    deny: freeze({ kind: 'deny', rule: index }),
    login: freeze({ kind: 'login', rule: index }),
    reauthenticate: freeze({ kind: 'login', rule: index, reauthenticate: true, ...maxAuthAge }),
    stepUp: freeze({ kind: 'step_up', rule: index, factors: Object.freeze(rule.factors ? [...rule.factors] : [...SECOND_FACTORS]), ...maxAuthAge }),
  };
  return Object.freeze({ ...rule, decisions });
}

function freeze(decision: Decision): Decision {
  return Object.freeze(decision);
}

function guard<T>(path: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}${reason.startsWith('[') ? '' : ': '}${reason}`, { cause: error });
  }
}
