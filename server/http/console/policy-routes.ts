import { isIP } from 'node:net';
import express from 'express';
import { type ExplainForm, type PolicyFormError, type PolicyPageModel, type PolicyRuleRow, renderPolicyPage } from '../../../client/views/console/policy-page.js';
import { SECOND_FACTORS, type SecondFactorKind } from '../../config/schema.js';
import { explainRequest, whoCanReach } from '../../policy/explain-request.js';
import type { CompiledRule } from '../../policy/types.js';
import { type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

const MAX_URL = 2048;
const MAX_TEXT = 200;
/** Ten years: any factor age beyond it decides the same. */
const MAX_AGE_SECONDS = 315_360_000;
const METHOD = /^[A-Za-z]{1,20}$/;

/**
 * Policy: the rules as compiled (evaluation order), the explain simulator (same function as
 * `gatehouse policy explain`), and "who can reach this site". All GET forms: nothing changes, so
 * auditors use them too, and an explanation can be shared as a link.
 */
export function createPolicyRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();

  router.get('/policy', (req, res) => {
    const { t, locale } = visitorOf(res);
    const raw = req.query as Record<string, unknown>;
    const text = (name: string, fallback = '') => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : fallback);
    const form: ExplainForm = {
      url: text('url'),
      method: text('method', 'GET') || 'GET',
      ip: text('ip', '192.0.2.10') || '192.0.2.10',
      user: text('user'),
      groups: text('groups'),
      factors: SECOND_FACTORS.filter((k) => raw[`f_${k}`] === '1'),
      age: text('age', '0') || '0',
      passwordAge: text('pw_age', '0') || '0',
    };
    const { policy, sites } = kit.ctx;
    const model: PolicyPageModel = {
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      actionPath: kit.path('policy'),
      rules: [...policy.rules, policy.defaultRule].map(toRow),
      factorKinds: SECOND_FACTORS,
      form,
      reachUrl: text('reach'),
    };
    let status = 200;
    if (form.url) {
      const error = checkExplainForm(form);
      if (error) model.explainError = error;
      else {
        // A user the directory knows, without groups typed in: their groups from the directory.
        const known = form.user && !form.groups ? kit.ctx.directory.findUser(form.user.toLowerCase()) : undefined;
        const groups = known ? known.groups : splitList(form.groups);
        const outcome = explainRequest(
          policy,
          sites,
          {
            url: form.url,
            method: form.method,
            ip: form.ip,
            username: form.user.toLowerCase(),
            groups,
            factors: form.factors.map((kind) => ({ kind: kind as SecondFactorKind, ageSeconds: Number(form.age) })),
            passwordAgeSeconds: Number(form.passwordAge),
          },
          kit.ctx.clock.now(),
        );
        if (!outcome.ok) model.explainError = outcome.reason === 'bad_path' ? 'bad_path' : 'bad_url';
        else
          model.explanation = {
            decision: outcome.explanation.decision.kind,
            decidedBy: outcome.explanation.decision.rule,
            why: outcome.explanation.why,
            site: outcome.site?.name ?? null,
            steps: outcome.explanation.steps,
          };
      }
    }
    if (model.reachUrl) {
      const found = model.reachUrl.length > MAX_URL ? { ok: false as const } : whoCanReach(policy, sites, model.reachUrl);
      if (!found.ok) model.reachError = model.reachUrl.length > MAX_URL ? 'too_long' : 'bad_url';
      else
        model.reach = {
          shadowedBy: found.shadowedBy,
          rules: found.rules.map((r) => ({
            rule: r.rule,
            policy: r.policy,
            subject: r.subject?.map((all) => all.join(' + ')).join(' · ') ?? '',
            methods: r.methods?.join(', ') ?? '',
            networks: r.networks?.join(', ') ?? '',
          })),
        };
    }
    if (model.explainError || model.reachError) status = 400;
    sendConsolePage(kit, req, res, { status, current: 'policy', title: t('console.policy_title'), hasError: status === 400, body: renderPolicyPage(model) });
  });

  return router;
}

function checkExplainForm(form: ExplainForm): PolicyFormError | undefined {
  if (form.url.length > MAX_URL || form.user.length > MAX_TEXT || form.groups.length > MAX_TEXT * 5) return 'too_long';
  if (!METHOD.test(form.method)) return 'bad_method';
  if (isIP(form.ip) === 0) return 'bad_ip';
  for (const age of [form.age, form.passwordAge]) if (!/^\d{1,9}$/.test(age) || Number(age) > MAX_AGE_SECONDS) return 'bad_age';
  return undefined;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
}

function toRow(rule: CompiledRule): PolicyRuleRow {
  return {
    index: rule.index,
    domains: rule.domains?.source ?? [],
    resources: rule.resources?.map((r) => r.source) ?? [],
    methods: rule.methods ? [...rule.methods] : [],
    networks: rule.networks?.source ?? [],
    subject: rule.subject?.map((all) => all.map((term) => `${term.kind}:${term.name}`).join(' + ')) ?? [],
    policy: rule.policy,
    factors: rule.factors ? [...rule.factors] : [],
    maxAuthAge: rule.maxAuthAge ?? null,
  };
}
