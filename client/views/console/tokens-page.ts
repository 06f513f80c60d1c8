import type { MessageKey } from '../../i18n.js';
import { renderTime } from '../format-time.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';
import { renderPager } from './pager.js';

export interface TokensQuery {
  q: string;
  unassigned: boolean;
}

export interface TokenRow {
  serial: string;
  kind: 'totp' | 'hotp';
  href: string;
  username: string | null;
  userHref: string | undefined;
  lastUsedAt: number | null;
}

/** What an upload came to: the counts, or why nothing was imported (the file's own problems listed). */
export type ImportOutcome =
  | { ok: true; count: number; hotp: number; totp: number; notes: string[] }
  | { ok: false; reason: 'no_file' | 'empty' | 'too_large' | 'not_token_file' | 'bad_key' | 'needs_password' | 'needs_key' | 'refused'; errors: string[] };

export interface TokensPageModel extends PageContext {
  actionPath: string;
  importPath: string;
  csrfToken: string;
  canChange: boolean;
  query: TokensQuery;
  searchTooLong: boolean;
  maxSearch: number;
  tokens: TokenRow[];
  total: number;
  /** 1-based. */
  page: number;
  pageSize: number;
  imported?: ImportOutcome;
  maxFileMegabytes: number;
}

/** The hardware-token inventory: search, the table with paging, and the import form. */
export function renderTokensPage(model: TokensPageModel): SafeHtml {
  const { t, locale, query } = model;
  const first = (model.page - 1) * model.pageSize + 1;
  const last = Math.min(model.total, model.page * model.pageSize);
  const pageHref = (page: number) => {
    const params = new URLSearchParams();
    if (query.q) params.set('q', query.q);
    if (query.unassigned) params.set('unassigned', '1');
    if (page > 1) params.set('page', String(page));
    const search = params.toString();
    return search ? `${model.actionPath}?${search}` : model.actionPath;
  };
  return html`<h1 id="page-heading">${t('console.tokens_title')}</h1>
${model.imported && renderImportOutcome(model)}
${!model.canChange && html`<p class="notice">${t('console.read_only_note')}</p>`}
<form class="card console-filters" method="get" action="${model.actionPath}" role="search" aria-label="${t('console.tokens_search_label')}">
${model.searchTooLong && html`<div class="alert" role="alert" id="tokens-error"><p>${t('console.tokens_error_search_too_long', { max: model.maxSearch })}</p></div>`}
<div class="field">
<label for="tokens-q">${t('console.tokens_search')}</label>
<input type="text" id="tokens-q" name="q" value="${query.q.slice(0, model.maxSearch * 2)}" maxlength="${model.maxSearch}" autocomplete="off" spellcheck="false"${model.searchTooLong ? html` aria-invalid="true" aria-describedby="tokens-error"` : ''}>
</div>
<div class="field field-check"><input type="checkbox" id="filter-unassigned" name="unassigned" value="1"${query.unassigned ? html` checked` : ''}><label for="filter-unassigned">${t('console.tokens_filter_unassigned')}</label></div>
<div class="actions"><button class="button button-primary" type="submit">${t('console.users_search_button')}</button> <a class="button button-secondary" href="${model.actionPath}">${t('console.users_clear')}</a></div>
</form>
<section class="card">
<h2 id="tokens-results">${t('console.tokens_inventory')}</h2>
<p class="muted" role="status">${model.total === 0 ? t('console.tokens_none') : t('console.users_count', { first, last, total: model.total })}</p>
${
  model.tokens.length > 0 &&
  html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="tokens-results">
<table class="console-table" id="tokens-table">
<thead><tr><th scope="col">${t('console.col_serial')}</th><th scope="col">${t('console.col_token_kind')}</th><th scope="col">${t('console.col_assigned_to')}</th><th scope="col">${t('console.col_last_used')}</th></tr></thead>
<tbody>
${model.tokens.map(
  (token) => html`<tr>
<th scope="row"><a href="${token.href}"><code>${token.serial}</code></a></th>
<td data-label="${t('console.col_token_kind')}">${token.kind.toUpperCase()}</td>
<td data-label="${t('console.col_assigned_to')}">${token.username === null ? html`<span class="muted">${t('console.tokens_unassigned')}</span>` : html`<a href="${token.userHref}">${token.username}</a>`}</td>
<td data-label="${t('console.col_last_used')}">${token.lastUsedAt === null ? t('console.never') : renderTime(locale, token.lastUsedAt)}</td>
</tr>
`,
)}</tbody>
</table>
</div>`
}
${renderPager(t, model.page, last, model.total, pageHref)}
</section>
${model.canChange && renderImportForm(model)}`;
}

function renderImportForm(model: TokensPageModel): SafeHtml {
  const { t } = model;
  const failed = model.imported && !model.imported.ok ? model.imported.reason : undefined;
  const invalid = (on: boolean) => (on ? html` aria-invalid="true" aria-describedby="import-result"` : '');
  return html`<section class="card" aria-labelledby="import-heading">
<h2 id="import-heading">${t('console.tokens_import')}</h2>
<p>${t('console.tokens_import_explain', { mb: model.maxFileMegabytes })}</p>
<form method="post" action="${model.importPath}" enctype="multipart/form-data" class="form">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field"><label for="import-file">${t('console.tokens_import_file')}</label><input type="file" id="import-file" name="file" accept=".pskc,.pskcxml,.xml,.csv,text/csv,application/pskc+xml,text/xml" required${invalid(failed !== undefined && !['needs_password', 'needs_key', 'bad_key'].includes(failed))}></div>
<div class="field"><label for="import-password">${t('console.tokens_import_password')}</label><input type="password" id="import-password" name="password" maxlength="1024" autocomplete="off" aria-describedby="import-password-hint"${invalid(failed === 'needs_password')}><p class="hint" id="import-password-hint">${t('console.tokens_import_password_hint')}</p></div>
<div class="field"><label for="import-key">${t('console.tokens_import_key')}</label><input type="password" id="import-key" name="key" maxlength="200" autocomplete="off" spellcheck="false" aria-describedby="import-key-hint"${invalid(failed === 'needs_key' || failed === 'bad_key')}><p class="hint" id="import-key-hint">${t('console.tokens_import_key_hint')}</p></div>
<div><button class="button button-primary" type="submit">${t('console.tokens_import_button')}</button></div>
</form>
</section>`;
}

const FAILURES: Readonly<Record<Exclude<ImportOutcome, { ok: true }>['reason'], MessageKey>> = {
  no_file: 'console.import_no_file',
  empty: 'console.import_empty',
  too_large: 'console.import_too_large',
  not_token_file: 'console.import_not_token_file',
  bad_key: 'console.import_bad_key',
  needs_password: 'console.import_needs_password',
  needs_key: 'console.import_needs_key',
  refused: 'console.import_refused',
};

function renderImportOutcome(model: TokensPageModel): SafeHtml {
  const { t } = model;
  const outcome = model.imported!;
  if (outcome.ok)
    return html`<div class="notice" role="status" id="import-result"><p>${t('console.import_done', { count: outcome.count, hotp: outcome.hotp, totp: outcome.totp })}</p>
${outcome.notes.length > 0 && html`<ul>${outcome.notes.map((note) => html`<li lang="en">${note}</li>`)}</ul>`}</div>`;
  // The file's problems come from the same checks as the command line, in English.
  return html`<div class="alert" role="alert" id="import-result"><p><strong>${t('console.import_nothing')}</strong> ${t(FAILURES[outcome.reason], { mb: model.maxFileMegabytes, count: outcome.errors.length })}</p>
${outcome.errors.length > 0 && html`<ul class="console-import-errors">${outcome.errors.slice(0, 100).map((error) => html`<li lang="en">${error}</li>`)}</ul>`}
${outcome.errors.length > 100 && html`<p>${t('console.import_more_errors', { count: outcome.errors.length - 100 })}</p>`}</div>`;
}
