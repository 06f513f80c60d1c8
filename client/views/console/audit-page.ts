import type { MessageKey } from '../../i18n.js';
import { renderReason } from './audit-reason.js';
import { renderTime } from '../format-time.js';
import { html } from '../html.js';
import type { PageContext } from '../layout.js';

/** The filter form's fields as typed (checked by the route before use). */
export interface AuditFormQuery {
  user: string;
  kind: string;
  result: string;
  ip: string;
  site: string;
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC. */
  from: string;
  to: string;
}

export type AuditQueryError = 'user' | 'kind' | 'result' | 'ip' | 'site' | 'from' | 'to' | 'range' | 'cursor';

export interface AuditPageEvent {
  id: number;
  at: number;
  kind: string;
  result: string;
  actor: string | null;
  subject: string | null;
  subjectHref: string | null;
  clientIp: string | null;
  site: string | null;
  reason: string | null;
}

export interface AuditPageModel extends PageContext {
  actionPath: string;
  query: AuditFormQuery;
  /** The query string of the filters alone (for export and paging links). */
  filterSearch: string;
  kinds: readonly string[];
  error?: AuditQueryError;
  events: AuditPageEvent[];
  /** The next (older) page's link, or null. */
  nextHref: string | null;
  /** The first page's link when this is not it. */
  firstHref: string | null;
  exportJsonHref: string;
  exportCsvHref: string;
  liveHref: string;
  /** The newest event id when the page was drawn: the live view follows from there. */
  latestId: number;
}

export const AUDIT_RESULTS: Readonly<Record<string, MessageKey>> = { success: 'console.result_success', failure: 'console.result_failure', info: 'console.result_info' };

const ERRORS: Record<AuditQueryError, MessageKey> = {
  user: 'console.audit_error_user',
  kind: 'console.audit_error_kind',
  result: 'console.audit_error_result',
  ip: 'console.audit_error_ip',
  site: 'console.audit_error_site',
  from: 'console.audit_error_time',
  to: 'console.audit_error_time',
  range: 'console.audit_error_range',
  cursor: 'console.audit_error_cursor',
};

/** The audit log: filters (a GET form, so a view can be bookmarked and shared), the events newest first, paging, export and the live view. */
export function renderAuditPage(model: AuditPageModel) {
  const { t, locale, query, error } = model;
  const invalid = (field: AuditQueryError | AuditQueryError[]) =>
    error && ([] as AuditQueryError[]).concat(field).includes(error) ? html` aria-invalid="true" aria-describedby="audit-error"` : '';
  const text = (name: keyof AuditFormQuery, label: MessageKey, field: AuditQueryError | AuditQueryError[], extra = '') =>
    html`<div class="field"><label for="audit-${name}">${t(label)}</label><input type="text" id="audit-${name}" name="${name}" value="${query[name].slice(0, 300)}" autocomplete="off" spellcheck="false"${invalid(field)}${extra ? html` placeholder="${extra}"` : ''}></div>`;
  return html`<h1 id="page-heading">${t('console.audit_title')}</h1>
<form class="card console-filters" method="get" action="${model.actionPath}" role="search" aria-label="${t('console.audit_filter_label')}">
${error && html`<div class="alert" role="alert" id="audit-error"><p>${t(ERRORS[error])}</p></div>`}
<div class="console-filter-grid">
${text('user', 'console.audit_user', 'user')}
<div class="field"><label for="audit-kind">${t('console.col_event')}</label><select id="audit-kind" name="kind"${invalid('kind')}><option value="">${t('console.audit_any')}</option>${model.kinds.map((k) => html`<option value="${k}"${k === query.kind ? html` selected` : ''}>${k}</option>`)}</select></div>
<div class="field"><label for="audit-result">${t('console.col_result')}</label><select id="audit-result" name="result"${invalid('result')}><option value="">${t('console.audit_any')}</option>${Object.entries(AUDIT_RESULTS).map(([value, key]) => html`<option value="${value}"${value === query.result ? html` selected` : ''}>${t(key)}</option>`)}</select></div>
${text('ip', 'console.col_address', 'ip')}
${text('site', 'console.audit_site', 'site')}
${text('from', 'console.audit_from', ['from', 'range'], 'YYYY-MM-DD')}
${text('to', 'console.audit_to', ['to', 'range'], 'YYYY-MM-DD')}
</div>
<p class="hint">${t('console.audit_time_hint')}</p>
<div class="actions"><button class="button button-primary" type="submit">${t('console.audit_apply')}</button> <a class="button button-secondary" href="${model.actionPath}">${t('console.users_clear')}</a></div>
</form>
<section class="card" aria-labelledby="audit-results">
<h2 id="audit-results">${t('console.audit_events')}</h2>
<div class="actions console-audit-tools">
<a class="button button-secondary" href="${model.exportJsonHref}" download>${t('console.audit_export_json')}</a>
<a class="button button-secondary" href="${model.exportCsvHref}" download>${t('console.audit_export_csv')}</a>
<span class="field field-check" hidden data-audit-live-toggle><input type="checkbox" id="audit-live"><label for="audit-live">${t('console.audit_live')}</label></span>
</div>
<p class="muted" role="status" id="audit-live-status" data-live-href="${model.liveHref}" data-latest-id="${String(model.latestId)}" data-following="${t('console.audit_live_following')}" data-new-events="${t('console.audit_live_new')}">${model.events.length === 0 ? t('console.audit_none') : ''}</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="${t('console.table_of', { name: t('console.audit_events') })}">
<table class="console-table" id="audit-table">
<thead><tr><th scope="col">${t('console.col_time')}</th><th scope="col">${t('console.col_event')}</th><th scope="col">${t('console.col_result')}</th><th scope="col">${t('console.audit_user')}</th><th scope="col">${t('console.col_actor')}</th><th scope="col">${t('console.col_address')}</th><th scope="col">${t('console.audit_site')}</th></tr></thead>
<tbody>
${model.events.map(
  (e) => html`<tr data-id="${String(e.id)}"><th scope="row">${renderTime(locale, e.at)}</th>
<td data-label="${t('console.col_event')}"><code>${e.kind}</code>${renderReason(t, e.kind, e.reason)}</td>
<td data-label="${t('console.col_result')}">${AUDIT_RESULTS[e.result] ? t(AUDIT_RESULTS[e.result]!) : e.result}</td>
<td data-label="${t('console.audit_user')}">${e.subject === null ? '—' : e.subjectHref ? html`<a href="${e.subjectHref}">${e.subject}</a>` : e.subject}</td>
<td data-label="${t('console.col_actor')}">${e.actor ?? '—'}</td>
<td data-label="${t('console.col_address')}">${e.clientIp ?? '—'}</td>
<td data-label="${t('console.audit_site')}">${e.site ?? '—'}</td></tr>
`,
)}</tbody>
</table>
</div>
${
  (model.nextHref || model.firstHref) &&
  html`<nav class="pager" aria-label="${t('console.pager_label')}">
${model.firstHref ? html`<a class="button button-secondary" href="${model.firstHref}">${t('console.audit_newest')}</a>` : ''}
${model.nextHref ? html`<a class="button button-secondary" href="${model.nextHref}" rel="next">${t('console.audit_older')}</a>` : ''}
</nav>`
}
</section>`;
}
