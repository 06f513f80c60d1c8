import { renderTime } from '../format-time.js';
import { html } from '../html.js';
import type { PageContext } from '../layout.js';
import { renderPager } from './pager.js';

export interface UsersQuery {
  q: string;
  locked: boolean;
  disabled: boolean;
  noFactor: boolean;
  /** As typed: checked by the route before it is used. */
  inactiveDays: string;
}

export type UsersQueryError = 'search_too_long' | 'inactive_invalid';

export interface UsersPageUser {
  username: string;
  displayName: string;
  email: string;
  href: string;
  locked: boolean;
  disabled: boolean;
  hasSecondFactor: boolean;
  lastSignInAt: number | null;
}

export interface UsersPageModel extends PageContext {
  actionPath: string;
  query: UsersQuery;
  error?: UsersQueryError;
  maxSearch: number;
  users: UsersPageUser[];
  total: number;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** Users: the search and filter form (a GET, so a result can be bookmarked), the table, and paging links. */
export function renderUsersPage(model: UsersPageModel): SafeHtmlBody {
  const { t, locale, query, error } = model;
  const first = (model.page - 1) * model.pageSize + 1;
  const last = Math.min(model.total, model.page * model.pageSize);
  const pageHref = (page: number) => {
    const params = new URLSearchParams();
    if (query.q) params.set('q', query.q);
    if (query.locked) params.set('locked', '1');
    if (query.disabled) params.set('disabled', '1');
    if (query.noFactor) params.set('no_factor', '1');
    if (query.inactiveDays) params.set('inactive', query.inactiveDays);
    if (page > 1) params.set('page', String(page));
    const search = params.toString();
    return search ? `${model.actionPath}?${search}` : model.actionPath;
  };
  const check = (name: string, on: boolean, label: string) =>
    html`<div class="field field-check"><input type="checkbox" id="filter-${name}" name="${name}" value="1"${on ? html` checked` : ''}><label for="filter-${name}">${label}</label></div>`;
  return html`<h1 id="page-heading">${t('console.users_title')}</h1>
<form class="card console-filters" method="get" action="${model.actionPath}" role="search" aria-label="${t('console.users_search_label')}">
${error && html`<div class="alert" role="alert" id="users-error"><p>${t(error === 'search_too_long' ? 'console.users_error_search_too_long' : 'console.users_error_inactive', { max: model.maxSearch })}</p></div>`}
<div class="field">
<label for="users-q">${t('console.users_search')}</label>
<input type="text" id="users-q" name="q" value="${query.q.slice(0, model.maxSearch * 2)}" maxlength="${model.maxSearch}" autocomplete="off" spellcheck="false"${error === 'search_too_long' ? html` aria-invalid="true" aria-describedby="users-error"` : html` aria-describedby="users-q-hint"`}>
<p class="hint" id="users-q-hint">${t('console.users_search_hint')}</p>
</div>
<fieldset>
<legend>${t('console.users_filters')}</legend>
<div class="console-filter-list">
${check('locked', query.locked, t('console.filter_locked'))}
${check('disabled', query.disabled, t('console.filter_disabled'))}
${check('no_factor', query.noFactor, t('console.filter_no_factor'))}
<div class="field console-inactive"><label for="filter-inactive">${t('console.filter_inactive')}</label><input type="number" id="filter-inactive" name="inactive" min="1" max="3650" inputmode="numeric" value="${query.inactiveDays.slice(0, 8)}"${error === 'inactive_invalid' ? html` aria-invalid="true" aria-describedby="users-error"` : ''}></div>
</div>
</fieldset>
<div class="actions"><button class="button button-primary" type="submit">${t('console.users_search_button')}</button> <a class="button button-secondary" href="${model.actionPath}">${t('console.users_clear')}</a></div>
</form>
<section class="card">
<h2 id="users-results">${t('console.users_results')}</h2>
<p class="muted" role="status">${model.total === 0 ? t('console.users_none') : t('console.users_count', { first, last, total: model.total })}</p>
${
  model.users.length > 0 &&
  html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="users-results">
<table class="console-table">
<thead><tr><th scope="col">${t('console.col_user')}</th><th scope="col">${t('console.col_email')}</th><th scope="col">${t('console.col_state')}</th><th scope="col">${t('console.col_last_sign_in')}</th></tr></thead>
<tbody>
${model.users.map(
  (u) => html`<tr>
<th scope="row"><a href="${u.href}">${u.displayName || u.username}</a><span class="meta console-username">${u.username}</span></th>
<td data-label="${t('console.col_email')}">${u.email || '—'}</td>
<td data-label="${t('console.col_state')}"><ul class="badges">${[
    u.locked && html`<li class="badge badge-alert">${t('console.state_locked')}</li>`,
    u.disabled && html`<li class="badge badge-alert">${t('console.state_disabled')}</li>`,
    !u.hasSecondFactor && html`<li class="badge">${t('console.state_no_factor')}</li>`,
    !u.locked && !u.disabled && u.hasSecondFactor && html`<li class="badge badge-ok">${t('console.state_ok')}</li>`,
  ]}</ul></td>
<td data-label="${t('console.col_last_sign_in')}">${u.lastSignInAt === null ? t('console.never') : renderTime(locale, u.lastSignInAt)}</td>
</tr>
`,
)}</tbody>
</table>
</div>`
}
${renderPager(t, model.page, last, model.total, pageHref)}
</section>`;
}

type SafeHtmlBody = ReturnType<typeof html>;
