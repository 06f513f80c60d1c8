import type { Locale } from '../../i18n.js';
import { renderTime } from '../format-time.js';
import { html } from '../html.js';
import type { PageContext } from '../layout.js';

export interface OverviewBucket {
  start: number;
  signIns: number;
  failures: number;
}

export interface OverviewEventLink {
  at: number;
  user: string | null;
  userHref: string | null;
  clientIp: string | null;
}

export interface OverviewPageModel extends PageContext {
  hourly: readonly OverviewBucket[];
  daily: readonly OverviewBucket[];
  /** Live sessions: a number only, there is no list of all sessions to link to. */
  sessions: number;
  locked: { total: number; users: readonly { name: string; href: string }[]; href: string };
  bans: { total: number; href: string };
  notMe: { events: readonly OverviewEventLink[]; href: string };
  cloneWarnings: { events: readonly OverviewEventLink[]; href: string };
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD = 28;

/**
 * A bar chart of sign-ins and failures drawn on the server: an SVG with a title and description
 * (role="img"), and the same numbers as a table beside it for screen readers and for copying.
 */
function renderChart(model: OverviewPageModel, id: string, title: string, buckets: readonly OverviewBucket[], label: (start: number) => string) {
  const { t } = model;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.signIns, b.failures)));
  const slot = (WIDTH - PAD) / buckets.length;
  const bar = Math.max(1, slot / 2 - 1);
  const y = (n: number) => HEIGHT - PAD - (n / max) * (HEIGHT - PAD * 1.5);
  const totalIn = buckets.reduce((s, b) => s + b.signIns, 0);
  const totalFail = buckets.reduce((s, b) => s + b.failures, 0);
  const desc = t('console.overview_chart_desc', { signIns: totalIn, failures: totalFail, max });
  return html`<figure class="console-chart">
<figcaption id="${id}-title">${title}</figcaption>
<svg viewBox="0 0 ${String(WIDTH)} ${String(HEIGHT)}" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="none" focusable="false">
<title>${title}</title><desc id="${id}-desc">${desc}</desc>
<line class="axis" x1="${String(PAD)}" y1="${String(HEIGHT - PAD)}" x2="${String(WIDTH)}" y2="${String(HEIGHT - PAD)}"/>
<text class="tick" x="0" y="${String(y(max) + 4)}">${String(max)}</text><text class="tick" x="0" y="${String(HEIGHT - PAD + 4)}">0</text>
${buckets.map((b, i) => {
  const x = PAD + i * slot;
  return html`<rect class="bar-in" x="${x.toFixed(1)}" y="${y(b.signIns).toFixed(1)}" width="${bar.toFixed(1)}" height="${(HEIGHT - PAD - y(b.signIns)).toFixed(1)}"/><rect class="bar-fail" x="${(x + bar + 1).toFixed(1)}" y="${y(b.failures).toFixed(1)}" width="${bar.toFixed(1)}" height="${(HEIGHT - PAD - y(b.failures)).toFixed(1)}"/>`;
})}
<text class="tick" x="${String(PAD)}" y="${String(HEIGHT - 8)}">${label(buckets[0]!.start)}</text>
<text class="tick" x="${String(WIDTH)}" y="${String(HEIGHT - 8)}" text-anchor="end">${label(buckets.at(-1)!.start)}</text>
</svg>
<p class="console-legend"><span class="key key-in"></span>${t('console.overview_sign_ins')} (${String(totalIn)}) <span class="key key-fail"></span>${t('console.overview_failures')} (${String(totalFail)})</p>
<details><summary>${t('console.overview_as_table')}</summary>
<div class="table-scroll" tabindex="0" role="region" aria-label="${t('console.table_of', { name: title })}"><table class="console-table">
<thead><tr><th scope="col">${t('console.col_time')}</th><th scope="col">${t('console.overview_sign_ins')}</th><th scope="col">${t('console.overview_failures')}</th></tr></thead>
<tbody>${buckets.map((b) => html`<tr><th scope="row">${label(b.start)}</th><td data-label="${t('console.overview_sign_ins')}">${String(b.signIns)}</td><td data-label="${t('console.overview_failures')}">${String(b.failures)}</td></tr>`)}</tbody>
</table></div></details>
</figure>`;
}

function renderEvents(model: OverviewPageModel, events: readonly OverviewEventLink[], none: string) {
  if (events.length === 0) return html`<p class="muted">${none}</p>`;
  return html`<ul class="console-event-list">${events.map(
    (e) =>
      html`<li>${renderTime(model.locale, e.at)} — ${e.userHref ? html`<a href="${e.userHref}">${e.user}</a>` : (e.user ?? '—')}${e.clientIp ? html` <span class="meta">${e.clientIp}</span>` : ''}</li>`,
  )}</ul>`;
}

const hourLabel = (locale: Locale) => (start: number) =>
  new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' }).format(start);
const dayLabel = (locale: Locale) => (start: number) => new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(start);

/** The console's start page: activity charts and what needs attention, each linking to its detail. */
export function renderOverviewPage(model: OverviewPageModel) {
  const { t, locale } = model;
  return html`<h1 id="page-heading">${t('console.overview_title')}</h1>
<div class="console-stats">
<p class="card console-stat" id="stat-sessions"><span class="console-stat-number">${String(model.sessions)}</span> ${t('console.overview_sessions')}</p>
<a class="card console-stat" href="${model.locked.href}"><span class="console-stat-number">${String(model.locked.total)}</span> ${t('console.overview_locked')}</a>
<a class="card console-stat" href="${model.bans.href}"><span class="console-stat-number">${String(model.bans.total)}</span> ${t('console.overview_bans')}</a>
<a class="card console-stat" href="${model.notMe.href}"><span class="console-stat-number">${String(model.notMe.events.length)}</span> ${t('console.overview_not_me')}</a>
<a class="card console-stat" href="${model.cloneWarnings.href}"><span class="console-stat-number">${String(model.cloneWarnings.events.length)}</span> ${t('console.overview_clone')}</a>
</div>
<section class="card" aria-labelledby="activity-heading">
<h2 id="activity-heading">${t('console.overview_activity')}</h2>
${renderChart(model, 'chart-hours', t('console.overview_last_24h'), model.hourly, hourLabel(locale))}
${renderChart(model, 'chart-days', t('console.overview_last_30d'), model.daily, dayLabel(locale))}
</section>
<div class="console-columns">
<section class="card" aria-labelledby="locked-heading"><h2 id="locked-heading">${t('console.overview_locked_accounts')}</h2>
${model.locked.users.length === 0 ? html`<p class="muted">${t('console.overview_none_locked')}</p>` : html`<ul class="console-event-list">${model.locked.users.map((u) => html`<li><a href="${u.href}">${u.name}</a></li>`)}</ul>`}
<p><a href="${model.locked.href}">${t('console.overview_see_all')}</a></p></section>
<section class="card" aria-labelledby="not-me-heading"><h2 id="not-me-heading">${t('console.overview_not_me_recent')}</h2>
${renderEvents(model, model.notMe.events, t('console.overview_none_reports'))}
<p><a href="${model.notMe.href}">${t('console.overview_in_audit')}</a></p></section>
<section class="card" aria-labelledby="clone-heading"><h2 id="clone-heading">${t('console.overview_clone_recent')}</h2>
${renderEvents(model, model.cloneWarnings.events, t('console.overview_none_clones'))}
<p><a href="${model.cloneWarnings.href}">${t('console.overview_in_audit')}</a></p></section>
</div>`;
}
