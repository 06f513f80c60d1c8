import { isMessageKey, type MessageKey } from '../../i18n.js';
import { renderReason } from './audit-reason.js';
import { describeDrift } from '../device-text.js';
import { renderTime } from '../format-time.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';
import { describeBrowser } from './describe-browser.js';

export const USER_NOTICES = [
  'unlocked',
  'not_locked',
  'disabled',
  'enabled',
  'not_disabled',
  'factors_reset',
  'session_revoked',
  'session_gone',
  'sessions_revoked',
  'code_user_disabled',
  'codes_off',
] as const;
export type UserNotice = (typeof USER_NOTICES)[number];

/** Notices that say something did not happen: shown as an alert, not as a confirmation. */
const PROBLEMS: ReadonlySet<UserNotice> = new Set(['session_gone', 'code_user_disabled', 'codes_off']);

export interface UserPageModel extends PageContext {
  csrfToken: string;
  /** An administrator (true) or an auditor (false: no forms). */
  canChange: boolean;
  actionPath: (action: string) => string;
  usersHref: string;
  user: {
    username: string;
    displayName: string;
    email: string;
    groups: string[];
    disabled: { directory: boolean; gatehouse: { at: number; by: string; reason: string | null } | null };
    lock: { locked: boolean; until: number | null; reason: string | null };
    lastSignInAt: number | null;
  };
  recentFailures: number;
  factors: Array<{ id: string; kind: string; name: string; serial: string | null; createdAt: number; lastUsedAt: number | null; driftSeconds: number | null }>;
  recoveryCodes: { unused: number; total: number };
  sessions: Array<{ id: string; createdAt: number; lastActiveAt: number; client: { ip: string; userAgent: string | null } | null }>;
  events: Array<{ id: number; at: number; kind: string; result: string; actor: string | null; clientIp: string | null; reason: string | null }>;
  enrollmentCodes: boolean;
  notice?: UserNotice;
}

const FACTOR_KINDS: Readonly<Record<string, MessageKey>> = {
  totp: 'otp.kind_totp',
  hotp: 'otp.kind_hotp',
  hardware_token: 'console.factor_hardware_token',
  webauthn: 'factor.webauthn',
  push: 'console.factor_phone',
};
const LOCK_REASONS: Readonly<Record<string, MessageKey>> = {
  failures: 'console.lock_reason_failures',
  not_me: 'console.lock_reason_not_me',
  admin: 'console.lock_reason_admin',
};
const RESULTS: Readonly<Record<string, MessageKey>> = { success: 'console.result_success', failure: 'console.result_failure', info: 'console.result_info' };

/** One user: who they are, why they may not get in, their factors and sessions, what happened to them. */
export function renderUserPage(model: UserPageModel): SafeHtml {
  const { t, locale, user } = model;
  const when = (at: number | null) => (at === null ? t('console.never') : renderTime(locale, at));
  const csrf = html`<input type="hidden" name="csrf" value="${model.csrfToken}">`;
  const post = (action: string, label: string, kind: 'primary' | 'secondary' | 'danger', extra: SafeHtml | '' = '') =>
    html`<form method="post" action="${model.actionPath(action)}">${csrf}${extra}<button class="button button-${kind}" type="submit">${label}</button></form>`;
  const disabled = user.disabled.directory || user.disabled.gatehouse !== null;

  return html`<p class="eyebrow"><a href="${model.usersHref}">${t('console.users_title')}</a></p>
<h1 id="page-heading">${user.displayName || user.username}</h1>
<ul class="badges" aria-label="${t('console.col_state')}">${[
    user.lock.locked && html`<li class="badge badge-alert">${t('console.state_locked')}</li>`,
    disabled && html`<li class="badge badge-alert">${t('console.state_disabled')}</li>`,
    model.factors.length === 0 && html`<li class="badge">${t('console.state_no_factor')}</li>`,
  ]}</ul>
${model.notice && html`<div class="${PROBLEMS.has(model.notice) ? 'alert' : 'notice'}" role="status"><p>${t(`console.notice_${model.notice}` as MessageKey)}</p></div>`}
${!model.canChange && html`<p class="notice">${t('console.read_only_note')}</p>`}
<div class="console-columns">
<section class="card">
<h2 id="account-heading">${t('console.user_account')}</h2>
<dl class="details">
<dt>${t('console.user_name')}</dt><dd><code>${user.username}</code></dd>
<dt>${t('console.col_email')}</dt><dd>${user.email || '—'}</dd>
<dt>${t('console.user_groups')}</dt><dd>${user.groups.length ? html`<ul class="badges">${user.groups.map((g) => html`<li class="badge">${g}</li>`)}</ul>` : '—'}</dd>
<dt>${t('console.col_last_sign_in')}</dt><dd>${when(user.lastSignInAt)}</dd>
</dl>
</section>
<section class="card">
<h2 id="access-heading">${t('console.user_access')}</h2>
<dl class="details">
<dt>${t('console.user_lock')}</dt>
<dd>${
    user.lock.locked
      ? html`<strong class="warning">${t('console.state_locked')}</strong> — ${t(LOCK_REASONS[user.lock.reason ?? ''] ?? 'console.lock_reason_other')}<br>${
          user.lock.until === null ? t('console.lock_until_unlocked') : html`${t('console.lock_until')} ${renderTime(locale, user.lock.until)}`
        }`
      : t('console.lock_none')
  }</dd>
<dt>${t('console.user_failures')}</dt><dd>${t('console.user_failures_count', { count: model.recentFailures })}</dd>
<dt>${t('console.user_disabled')}</dt>
<dd>${
    user.disabled.gatehouse
      ? html`${t('console.disabled_by', { by: user.disabled.gatehouse.by })} ${renderTime(locale, user.disabled.gatehouse.at)}${user.disabled.gatehouse.reason ? html`<br>${t('console.disabled_reason', { reason: user.disabled.gatehouse.reason })}` : ''}`
      : user.disabled.directory
        ? t('console.disabled_directory')
        : t('console.disabled_no')
  }</dd>
</dl>
${
  model.canChange &&
  html`<div class="actions">
${user.lock.locked && post('unlock', t('console.action_unlock'), 'primary')}
${
  user.disabled.gatehouse
    ? post('enable', t('console.action_enable'), 'secondary')
    : html`<details class="console-confirm"><summary>${t('console.action_disable')}</summary>
<p>${t('console.disable_explain')}</p>
<form method="post" action="${model.actionPath('disable')}" class="form">${csrf}
<div class="field"><label for="disable-reason">${t('console.disable_reason_label')}</label><input type="text" id="disable-reason" name="reason" maxlength="200" autocomplete="off"></div>
<div><button class="button button-danger" type="submit">${t('console.action_disable_confirm')}</button></div>
</form></details>`
}
</div>`
}
</section>
</div>
<section class="card">
<h2 id="factors-heading">${t('console.user_factors')}</h2>
${
  model.factors.length === 0
    ? html`<p>${t('console.factors_none')}</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="factors-heading">
<table class="console-table">
<thead><tr><th scope="col">${t('console.col_factor')}</th><th scope="col">${t('console.col_kind')}</th><th scope="col">${t('methods.added')}</th><th scope="col">${t('methods.last_used')}</th><th scope="col">${t('console.col_drift')}</th></tr></thead>
<tbody>
${model.factors.map(
  (f) => html`<tr><th scope="row">${f.name}</th>
<td data-label="${t('console.col_kind')}">${t(FACTOR_KINDS[f.kind] ?? 'factor.other', { kind: f.kind })}${f.serial ? html` <span class="meta">${f.serial}</span>` : ''}</td>
<td data-label="${t('methods.added')}">${renderTime(locale, f.createdAt)}</td>
<td data-label="${t('methods.last_used')}">${when(f.lastUsedAt)}</td>
<td data-label="${t('console.col_drift')}">${(f.driftSeconds !== null && describeDrift(t, locale, f.driftSeconds)) || '—'}</td></tr>
`,
)}</tbody>
</table>
</div>`
}
<p class="meta">${t('console.recovery_codes_count', { unused: model.recoveryCodes.unused, total: model.recoveryCodes.total })}</p>
${
  model.canChange &&
  html`<div class="actions">
${model.enrollmentCodes && post('enrollment-code', t('console.action_enrollment_code'), 'primary')}
<details class="console-confirm"><summary>${t('console.action_reset_factors')}</summary>
<p>${t('console.reset_explain')}</p>
${post('reset-factors', t('console.action_reset_confirm'), 'danger')}
</details>
</div>`
}
</section>
<section class="card">
<h2 id="sessions-heading">${t('console.user_sessions')}</h2>
${
  model.sessions.length === 0
    ? html`<p>${t('console.sessions_none')}</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="sessions-heading">
<table class="console-table">
<thead><tr><th scope="col">${t('console.col_browser')}</th><th scope="col">${t('console.col_address')}</th><th scope="col">${t('console.col_started')}</th><th scope="col">${t('console.col_last_seen')}</th>${model.canChange && html`<th scope="col"><span class="visually-hidden">${t('console.col_actions')}</span></th>`}</tr></thead>
<tbody>
${model.sessions.map((s) => {
  const { browser, system } = describeBrowser(s.client?.userAgent);
  const label = browser ? (system ? t('console.browser_on', { browser, system }) : browser) : t('console.browser_unknown');
  return html`<tr><th scope="row">${label}</th>
<td data-label="${t('console.col_address')}">${s.client?.ip ?? '—'}</td>
<td data-label="${t('console.col_started')}">${renderTime(locale, s.createdAt)}</td>
<td data-label="${t('console.col_last_seen')}">${renderTime(locale, s.lastActiveAt)}</td>
${model.canChange && html`<td>${post('sessions/revoke', t('console.action_revoke'), 'secondary', html`<input type="hidden" name="session" value="${s.id}">`)}</td>`}</tr>
`;
})}</tbody>
</table>
</div>
${model.canChange && html`<div class="actions">${post('sessions/revoke-all', t('console.action_revoke_all'), 'danger')}</div>`}`
}
</section>
<section class="card">
<h2 id="trail-heading">${t('console.user_trail')}</h2>
${
  model.events.length === 0
    ? html`<p>${t('console.trail_none')}</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="trail-heading">
<table class="console-table">
<thead><tr><th scope="col">${t('console.col_time')}</th><th scope="col">${t('console.col_event')}</th><th scope="col">${t('console.col_result')}</th><th scope="col">${t('console.col_actor')}</th><th scope="col">${t('console.col_address')}</th></tr></thead>
<tbody>
${model.events.map(
  (e) => html`<tr><th scope="row">${renderTime(locale, e.at)}</th>
<td data-label="${t('console.col_event')}">${isMessageKey(`console.event.${e.kind}`) ? t(`console.event.${e.kind}` as MessageKey) : ''} <code class="meta">${e.kind}</code>${renderReason(t, e.kind, e.reason)}</td>
<td data-label="${t('console.col_result')}">${RESULTS[e.result] ? t(RESULTS[e.result]!) : e.result}</td>
<td data-label="${t('console.col_actor')}">${e.actor ?? '—'}</td>
<td data-label="${t('console.col_address')}">${e.clientIp ?? '—'}</td></tr>
`,
)}</tbody>
</table>
</div>`
}
</section>`;
}
