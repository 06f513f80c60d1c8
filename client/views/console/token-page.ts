import type { MessageKey } from '../../i18n.js';
import { renderTime } from '../format-time.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';

export const TOKEN_NOTICES = ['assigned', 'already_assigned', 'unassigned', 'not_assigned', 'resynced'] as const;
export type TokenNotice = (typeof TOKEN_NOTICES)[number];
export type TokenProblem = 'unknown_user' | 'assigned_to_other' | 'codes_malformed' | 'codes_invalid' | 'codes_replayed' | 'changed';

export interface TokenPageModel extends PageContext {
  token: { serial: string; kind: 'totp' | 'hotp'; digits: number; period: number; username: string | null; lastUsedAt: number | null };
  userHref: string | undefined;
  tokensHref: string;
  actionPath: (action: 'assign' | 'unassign' | 'resync') => string;
  csrfToken: string;
  canChange: boolean;
  notice?: TokenNotice;
  problem?: TokenProblem;
  /** The name typed in the assign form, shown again after a refusal. */
  username?: string;
}

/** One hardware token: what it is, whose it is, and assign / unassign / resync. */
export function renderTokenPage(model: TokenPageModel): SafeHtml {
  const { t, locale, token } = model;
  const csrf = html`<input type="hidden" name="csrf" value="${model.csrfToken}">`;
  const assignProblem = model.problem === 'unknown_user' || model.problem === 'assigned_to_other';
  const codeProblem = model.problem !== undefined && !assignProblem;
  const invalid = (on: boolean) => (on ? html` aria-invalid="true" aria-describedby="token-problem"` : '');
  const code = (n: 1 | 2) =>
    html`<div class="field"><label for="resync-code${n}">${t(n === 1 ? 'console.resync_code1' : 'console.resync_code2')}</label><input type="text" id="resync-code${n}" name="code${n}" inputmode="numeric" autocomplete="off" pattern="[0-9 ]*" maxlength="12" required${invalid(codeProblem)}></div>`;
  return html`<p class="eyebrow"><a href="${model.tokensHref}">${t('console.tokens_title')}</a></p>
<h1 id="page-heading">${t('console.token_title', { serial: token.serial })}</h1>
${model.notice && html`<div class="notice" role="status"><p>${t(`console.token_notice_${model.notice}` as MessageKey)}</p></div>`}
${model.problem && html`<div class="alert" role="alert" id="token-problem"><p>${t(`console.token_problem_${model.problem}` as MessageKey)}</p></div>`}
${!model.canChange && html`<p class="notice">${t('console.read_only_note')}</p>`}
<section class="card">
<h2 id="token-heading">${t('console.token_details')}</h2>
<dl class="details">
<dt>${t('console.col_serial')}</dt><dd><code>${token.serial}</code></dd>
<dt>${t('console.col_token_kind')}</dt><dd>${token.kind.toUpperCase()} · ${t('console.token_digits', { digits: token.digits })}${token.kind === 'totp' ? html` · ${t('console.token_period', { seconds: token.period })}` : ''}</dd>
<dt>${t('console.col_assigned_to')}</dt><dd>${token.username === null ? t('console.tokens_unassigned') : html`<a href="${model.userHref}">${token.username}</a>`}</dd>
<dt>${t('console.col_last_used')}</dt><dd>${token.lastUsedAt === null ? t('console.never') : renderTime(locale, token.lastUsedAt)}</dd>
</dl>
</section>
${
  model.canChange &&
  html`<div class="console-columns">
<section class="card" aria-labelledby="assign-heading">
<h2 id="assign-heading">${t(token.username === null ? 'console.token_assign' : 'console.token_unassign')}</h2>
${
  token.username === null
    ? html`<form method="post" action="${model.actionPath('assign')}" class="form">${csrf}
<div class="field"><label for="assign-username">${t('console.token_assign_user')}</label><input type="text" id="assign-username" name="username" value="${model.username ?? ''}" maxlength="128" autocomplete="off" spellcheck="false" required${invalid(assignProblem)}></div>
<div><button class="button button-primary" type="submit">${t('console.token_assign_button')}</button></div>
</form>`
    : html`<p>${t('console.token_unassign_explain', { user: token.username })}</p>
<form method="post" action="${model.actionPath('unassign')}">${csrf}<button class="button button-danger" type="submit">${t('console.token_unassign_button')}</button></form>`
}
</section>
<section class="card" aria-labelledby="resync-heading">
<h2 id="resync-heading">${t('console.token_resync')}</h2>
<p>${t('console.token_resync_explain')}</p>
<form method="post" action="${model.actionPath('resync')}" class="form">${csrf}
${code(1)}
${code(2)}
<div><button class="button button-secondary" type="submit">${t('console.token_resync_button')}</button></div>
</form>
</section>
</div>`
}`;
}
