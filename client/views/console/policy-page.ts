import type { MessageKey } from '../../i18n.js';
import { html } from '../html.js';
import type { PageContext } from '../layout.js';

export interface PolicyRuleRow {
  index: number | 'default';
  domains: readonly string[];
  resources: readonly string[];
  methods: readonly string[];
  networks: readonly string[];
  subject: readonly string[];
  policy: string;
  factors: readonly string[];
  maxAuthAge: number | null;
}

export interface ExplainForm {
  url: string;
  method: string;
  ip: string;
  user: string;
  groups: string;
  factors: readonly string[];
  age: string;
  passwordAge: string;
}

export type PolicyFormError = 'bad_url' | 'bad_path' | 'bad_ip' | 'bad_age' | 'too_long' | 'bad_method';

export interface PolicyPageModel extends PageContext {
  actionPath: string;
  rules: readonly PolicyRuleRow[];
  factorKinds: readonly string[];
  form: ExplainForm;
  explainError?: PolicyFormError;
  explanation?: {
    decision: string;
    decidedBy: number | 'default';
    why: string;
    site: string | null;
    steps: readonly { rule: number; matched: boolean; why: string }[];
  };
  reachUrl: string;
  reachError?: PolicyFormError;
  reach?: { rules: readonly { rule: number | 'default'; policy: string; subject: string; methods: string; networks: string }[]; shadowedBy: number | null };
}

const ERRORS: Record<PolicyFormError, MessageKey> = {
  bad_url: 'console.policy_error_url',
  bad_path: 'console.policy_error_path',
  bad_ip: 'console.policy_error_ip',
  bad_age: 'console.policy_error_age',
  too_long: 'console.policy_error_too_long',
  bad_method: 'console.policy_error_method',
};

const dash = (items: readonly string[]) => (items.length ? items.join(', ') : '—');

/** Policy: the compiled rules in evaluation order, the explain simulator, and "who can reach this site". */
export function renderPolicyPage(model: PolicyPageModel) {
  const { t, form } = model;
  const ruleName = (index: number | 'default') => (index === 'default' ? t('console.policy_default') : t('console.policy_rule_n', { n: index }));
  const invalid = (on: boolean, id: string) => (on ? html` aria-invalid="true" aria-describedby="${id}"` : '');
  const e = model.explainError;
  const field = (name: keyof ExplainForm, label: MessageKey, value: string, error: boolean, extra?: { hint?: MessageKey; type?: string }) =>
    html`<div class="field"><label for="explain-${name}">${t(label)}</label><input type="${extra?.type ?? 'text'}" id="explain-${name}" name="${name === 'passwordAge' ? 'pw_age' : name}" value="${value.slice(0, 2100)}" autocomplete="off" spellcheck="false"${invalid(error, 'explain-error')}></div>`;
  return html`<h1 id="page-heading">${t('console.policy_title')}</h1>
<section class="card" aria-labelledby="explain-heading">
<h2 id="explain-heading">${t('console.policy_explain')}</h2>
<p class="muted">${t('console.policy_explain_intro')}</p>
<form class="console-filters" method="get" action="${model.actionPath}#explain-heading">
${e && html`<div class="alert" role="alert" id="explain-error"><p>${t(ERRORS[e])}</p></div>`}
<div class="console-filter-grid">
${field('url', 'console.policy_url', form.url, e === 'bad_url' || e === 'bad_path' || e === 'too_long')}
${field('method', 'console.policy_method', form.method, e === 'bad_method')}
${field('ip', 'console.col_address', form.ip, e === 'bad_ip')}
${field('user', 'console.audit_user', form.user, false)}
${field('groups', 'console.policy_groups', form.groups, false)}
${field('passwordAge', 'console.policy_password_age', form.passwordAge, e === 'bad_age')}
${field('age', 'console.policy_factor_age', form.age, e === 'bad_age')}
</div>
<fieldset><legend>${t('console.policy_factors')}</legend><div class="console-filter-list">
${model.factorKinds.map((k) => html`<div class="field field-check"><input type="checkbox" id="explain-f-${k}" name="f_${k}" value="1"${form.factors.includes(k) ? html` checked` : ''}><label for="explain-f-${k}"><code>${k}</code></label></div>`)}
</div></fieldset>
<p class="hint">${t('console.policy_explain_hint')}</p>
${model.reachUrl && html`<input type="hidden" name="reach" value="${model.reachUrl.slice(0, 2100)}">`}
<div class="actions"><button class="button button-primary" type="submit">${t('console.policy_explain_button')}</button></div>
</form>
${
  model.explanation &&
  html`<div class="console-explanation" role="status">
<p><strong>${t('console.policy_decision')}:</strong> <span class="badge ${model.explanation.decision === 'allow' ? 'badge-ok' : 'badge-alert'}">${model.explanation.decision}</span> — ${ruleName(model.explanation.decidedBy)}</p>
<p><strong>${t('console.policy_because')}:</strong> ${model.explanation.why}</p>
<p class="muted">${model.explanation.site === null ? t('console.policy_no_site') : t('console.policy_site', { site: model.explanation.site })}</p>
${
  model.explanation.steps.length > 0 &&
  html`<h3>${t('console.policy_steps')}</h3>
<ol class="console-steps">${model.explanation.steps.map((s) => html`<li><strong>${ruleName(s.rule)}</strong> — ${s.matched ? t('console.policy_step_matched') : t('console.policy_step_skipped')}: ${s.why}</li>`)}</ol>`
}
</div>`
}
</section>
<section class="card" aria-labelledby="reach-heading">
<h2 id="reach-heading">${t('console.policy_reach')}</h2>
<form class="console-filters" method="get" action="${model.actionPath}#reach-heading">
${model.reachError && html`<div class="alert" role="alert" id="reach-error"><p>${t(ERRORS[model.reachError])}</p></div>`}
<div class="field"><label for="reach-url">${t('console.policy_url')}</label><input type="text" id="reach-url" name="reach" value="${model.reachUrl.slice(0, 2100)}" autocomplete="off" spellcheck="false"${invalid(model.reachError !== undefined, 'reach-error')}></div>
${
  form.url &&
  Object.entries({
    url: form.url,
    method: form.method,
    ip: form.ip,
    user: form.user,
    groups: form.groups,
    age: form.age,
    pw_age: form.passwordAge,
    ...Object.fromEntries(form.factors.map((f) => [`f_${f}`, '1'])),
  }).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value.slice(0, 2100)}">`)
}
<div class="actions"><button class="button button-primary" type="submit">${t('console.policy_reach_button')}</button></div>
</form>
${
  model.reach &&
  (model.reach.rules.length === 0
    ? html`<p role="status">${t('console.policy_reach_nobody')}</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-label="${t('console.table_of', { name: t('console.policy_reach') })}"><table class="console-table">
<thead><tr><th scope="col">${t('console.policy_col_rule')}</th><th scope="col">${t('console.policy_col_policy')}</th><th scope="col">${t('console.policy_col_who')}</th><th scope="col">${t('console.policy_col_methods')}</th><th scope="col">${t('console.policy_col_networks')}</th></tr></thead>
<tbody>${model.reach.rules.map(
        (r) =>
          html`<tr><th scope="row">${ruleName(r.rule)}</th><td data-label="${t('console.policy_col_policy')}"><code>${r.policy}</code></td><td data-label="${t('console.policy_col_who')}">${r.subject || t('console.policy_anyone')}</td><td data-label="${t('console.policy_col_methods')}">${r.methods || '—'}</td><td data-label="${t('console.policy_col_networks')}">${r.networks || '—'}</td></tr>`,
      )}</tbody></table></div>
${model.reach.shadowedBy !== null ? html`<p class="muted">${t('console.policy_reach_shadowed', { n: model.reach.shadowedBy })}</p>` : ''}`)
}
</section>
<section class="card" aria-labelledby="rules-heading">
<h2 id="rules-heading">${t('console.policy_rules')}</h2>
<p class="muted">${t('console.policy_rules_intro')}</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="${t('console.table_of', { name: t('console.policy_rules') })}">
<table class="console-table">
<thead><tr><th scope="col">${t('console.policy_col_rule')}</th><th scope="col">${t('console.policy_col_domains')}</th><th scope="col">${t('console.policy_col_resources')}</th><th scope="col">${t('console.policy_col_methods')}</th><th scope="col">${t('console.policy_col_networks')}</th><th scope="col">${t('console.policy_col_who')}</th><th scope="col">${t('console.policy_col_policy')}</th></tr></thead>
<tbody>
${model.rules.map(
  (r) => html`<tr><th scope="row">${ruleName(r.index)}</th>
<td data-label="${t('console.policy_col_domains')}">${r.index === 'default' ? t('console.policy_any') : dash(r.domains)}</td>
<td data-label="${t('console.policy_col_resources')}">${r.resources.length ? r.resources.map((x) => html`<code>${x}</code> `) : '—'}</td>
<td data-label="${t('console.policy_col_methods')}">${dash(r.methods)}</td>
<td data-label="${t('console.policy_col_networks')}">${dash(r.networks)}</td>
<td data-label="${t('console.policy_col_who')}">${dash(r.subject)}</td>
<td data-label="${t('console.policy_col_policy')}"><code>${r.policy}</code>${r.factors.length ? html` <span class="meta">${r.factors.join(', ')}</span>` : ''}${r.maxAuthAge !== null ? html` <span class="meta">max_auth_age ${String(r.maxAuthAge)}s</span>` : ''}</td></tr>
`,
)}</tbody>
</table>
</div>
</section>`;
}
