import { renderTime } from '../format-time.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';

/** One setting as the server shows it: secrets were masked before they got here. */
export interface ConfigurationRow {
  path: string;
  value: string | null;
  masked: boolean;
}

export type UsersFileReloadView =
  | { at: number; result: 'reloaded'; users: number }
  | { at: number; result: 'unchanged' }
  | { at: number; result: 'unreadable'; code: string }
  | { at: number; result: 'invalid'; errors: readonly string[] };

export interface ConfigurationPageModel extends PageContext {
  /** When this instance read its configuration (at start: there is no reload). */
  configLoadedAt: number;
  usersFile: { path: string; watch: boolean; loadedAt: number; lastReload: UsersFileReloadView | null } | null;
  /** LDAP users are refreshed in the background; there is no file to reload. */
  ldap: boolean;
  sections: ReadonlyArray<{ name: string; rows: readonly ConfigurationRow[] }>;
}

function renderReload(model: ConfigurationPageModel, reload: UsersFileReloadView | null): SafeHtml {
  const { t, locale } = model;
  if (reload === null) return html`${t('console.config_reload_none')}`;
  const when = renderTime(locale, reload.at);
  switch (reload.result) {
    case 'reloaded':
      return html`${t('console.config_reload_ok', { users: reload.users })} — ${when}`;
    case 'unchanged':
      return html`${t('console.config_reload_unchanged')} — ${when}`;
    case 'unreadable':
      return html`<strong class="warning">${t('console.config_reload_unreadable')}</strong> (<code>${reload.code}</code>) — ${when}`;
    case 'invalid':
      return html`<strong class="warning">${t('console.config_reload_invalid')}</strong> — ${when}<ul class="console-config-errors">${reload.errors.map((e) => html`<li><code>${e}</code></li>`)}</ul>`;
  }
}

function renderReloads(model: ConfigurationPageModel): SafeHtml {
  const { t, locale, usersFile } = model;
  return html`<section class="card" aria-labelledby="reload-heading">
<h2 id="reload-heading">${t('console.config_reloads')}</h2>
<dl class="details">
<dt>${t('console.config_file')}</dt>
<dd>${t('console.config_loaded_at')} ${renderTime(locale, model.configLoadedAt)}<br><span class="muted">${t('console.config_no_reload')}</span></dd>
<dt>${t('console.config_users_file')}</dt>
<dd>${
    usersFile
      ? html`<code>${usersFile.path}</code><br>${t('console.config_users_loaded_at')} ${renderTime(locale, usersFile.loadedAt)}<br>${t('console.config_last_reload')} ${renderReload(model, usersFile.lastReload)}${
          usersFile.watch ? '' : html`<br><span class="muted">${t('console.config_users_not_watched')}</span>`
        }`
      : html`${t('console.config_no_users_file')}`
  }</dd>
${model.ldap ? html`<dt>${t('console.config_ldap')}</dt><dd>${t('console.config_ldap_refresh')}</dd>` : ''}
</dl>
<p class="muted">${t('console.config_this_instance')}</p>
</section>`;
}

function renderSection(model: ConfigurationPageModel, section: ConfigurationPageModel['sections'][number]): SafeHtml {
  const { t } = model;
  const id = `config-${section.name.replace(/[^a-z0-9_-]/gi, '')}`;
  return html`<section class="card" aria-labelledby="${id}">
<h2 id="${id}"><code>${section.name}</code></h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="${t('console.table_of', { name: section.name })}"><table class="console-table console-config">
<thead><tr><th scope="col">${t('console.config_col_key')}</th><th scope="col">${t('console.config_col_value')}</th></tr></thead>
<tbody>${section.rows.map(
    (row) =>
      html`<tr><th scope="row"><code>${row.path.slice(section.name.length + 1) || row.path}</code></th><td data-label="${t('console.config_col_value')}">${
        row.value === null ? html`<span class="muted">${t('console.config_empty')}</span>` : html`<code>${row.value}</code>`
      }${row.masked ? html` <span class="meta">${t('console.config_masked')}</span>` : ''}</td></tr>`,
  )}</tbody>
</table></div>
</section>`;
}

/** The running configuration, read only: when it and the users file were read, then every setting by section, secrets masked. */
export function renderConfigurationPage(model: ConfigurationPageModel): SafeHtml {
  const { t } = model;
  return html`<h1 id="page-heading">${t('console.config_title')}</h1>
<p>${t('console.config_intro')}</p>
${renderReloads(model)}
<nav class="card" aria-labelledby="config-toc"><h2 id="config-toc">${t('console.config_sections')}</h2>
<ul class="console-toc">${model.sections.map((s) => html`<li><a href="#config-${s.name.replace(/[^a-z0-9_-]/gi, '')}">${s.name}</a></li>`)}</ul></nav>
${model.sections.map((s) => renderSection(model, s))}`;
}
