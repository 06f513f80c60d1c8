import { SECOND_FACTORS, type SecondFactorKind } from '../config/schema.js';
import type { FactorUse } from '../session/session.js';
import type { SiteTable } from '../sites/site-table.js';
import { type AccessExplanation, explainAccess } from './explain-access.js';
import { findDomain, findResource, matchPathFor } from './match-rule.js';
import { normalizePath } from './normalize-path.js';
import type { CompiledPolicy, CompiledRule } from './types.js';

/** A request to explain, as an administrator describes it (the console's form, `gatehouse policy explain`). */
export interface ExplainInput {
  url: string;
  method: string;
  ip: string;
  /** Empty: nobody signed in. */
  username: string;
  groups: readonly string[];
  /** Second factors used, each with how long ago (seconds); the password was used at sign-in, `passwordAgeSeconds` ago. */
  factors: readonly { kind: SecondFactorKind; ageSeconds: number }[];
  passwordAgeSeconds: number;
}

export type ExplainRequestResult =
  | {
      ok: true;
      explanation: AccessExplanation;
      /** The site serving the URL; null: none does, and the gateway refuses it before any rule. */
      site: { name: string; caseInsensitivePaths: boolean } | null;
      caseInsensitivePaths: boolean;
    }
  | { ok: false; reason: 'bad_url' | 'bad_path' | 'unknown_factor'; detail?: string };

/**
 * The whole of `policy explain`: the URL parsed and its path normalized as the gateway does, the
 * site found (its letter-case setting changes how paths match), the subject built, then
 * explainAccess — each rule tried in order with why it did not match, and why the deciding rule
 * decided as it did. The console's simulator and the CLI call this one function.
 */
export function explainRequest(policy: CompiledPolicy, sites: SiteTable, input: ExplainInput, now: number): ExplainRequestResult {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    return { ok: false, reason: 'bad_url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'bad_url' };
  const target = normalizePath(url.pathname + url.search);
  if (!target.ok) return { ok: false, reason: 'bad_path', detail: target.reason };
  const unknown = input.factors.find((f) => !(SECOND_FACTORS as readonly string[]).includes(f.kind));
  if (unknown) return { ok: false, reason: 'unknown_factor', detail: unknown.kind };
  const factors: FactorUse[] = [{ kind: 'password', at: now - input.passwordAgeSeconds * 1000 }, ...input.factors.map((f) => ({ kind: f.kind, at: now - f.ageSeconds * 1000 }))];
  const subject = input.username ? { username: input.username, groups: [...input.groups], factors } : null;
  const site = sites.match(url.hostname, url.port ? Number(url.port) : undefined, target.matchPath);
  const caseInsensitivePaths = site?.case_insensitive_paths ?? true;
  const explanation = explainAccess(policy, { domain: url.hostname, path: target.matchPath, method: input.method.toUpperCase(), ip: input.ip, caseInsensitivePaths }, subject, now);
  return { ok: true, explanation, site: site ? { name: site.name, caseInsensitivePaths: site.case_insensitive_paths } : null, caseInsensitivePaths };
}

/** One rule that can let someone reach a URL, in evaluation order. */
export interface ReachingRule {
  rule: number | 'default';
  policy: CompiledRule['policy'];
  /** Who it lets in: `user:x` / `group:y` alternatives (each an AND of terms); undefined: anyone the policy admits. */
  subject?: readonly (readonly string[])[];
  methods?: readonly string[];
  networks?: readonly string[];
}

/**
 * "Who can reach this site": the rules that match the URL's host and path and do not deny, in
 * evaluation order, up to the first rule that catches every request to it (no methods, networks
 * or subject), after which no later rule is ever tried. A deny rule that catches everything ends
 * the list too. Reaching the default policy adds it when it allows.
 */
export function whoCanReach(policy: CompiledPolicy, sites: SiteTable, rawUrl: string): { ok: true; rules: ReachingRule[]; shadowedBy: number | null } | { ok: false } {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false };
  }
  const target = normalizePath(url.pathname + url.search);
  if (!target.ok || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { ok: false };
  const site = sites.match(url.hostname, url.port ? Number(url.port) : undefined, target.matchPath);
  const ignoreCase = site?.case_insensitive_paths ?? true;
  const path = matchPathFor({ domain: url.hostname, path: target.matchPath, method: 'GET', ip: '', caseInsensitivePaths: ignoreCase });
  const rules: ReachingRule[] = [];
  for (const rule of policy.rules) {
    if (findDomain(rule, url.hostname) === undefined || findResource(rule, path, ignoreCase) === -1) continue;
    const catchesAll = rule.methods === undefined && rule.networks === undefined && rule.subject === undefined;
    if (rule.policy !== 'deny') rules.push(describe(rule));
    if (catchesAll) return { ok: true, rules, shadowedBy: rule.index as number };
  }
  if (policy.defaultRule.policy !== 'deny') rules.push(describe(policy.defaultRule));
  return { ok: true, rules, shadowedBy: null };
}

function describe(rule: CompiledRule): ReachingRule {
  return {
    rule: rule.index,
    policy: rule.policy,
    subject: rule.subject?.map((all) => all.map((t) => `${t.kind}:${t.name}`)),
    methods: rule.methods ? [...rule.methods] : undefined,
    networks: rule.networks ? [...rule.networks.source] : undefined,
  };
}
