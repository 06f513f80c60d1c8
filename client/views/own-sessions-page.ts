import { describeBrowser } from './console/describe-browser.js';
import { renderTime } from './format-time.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export type OwnSessionsNotice = 'signed_out' | 'already_gone';

export interface OwnSessionsPageModel extends PageContext {
  csrfToken: string;
  sessions: Array<{ id: string; current: boolean; createdAt: number; lastActiveAt: number; client: { ip: string; userAgent: string | null } | null }>;
  notice?: OwnSessionsNotice;
}

/** "Where you're signed in": each live session as a browser and place, with a sign-out button. */
export function renderOwnSessionsPage(model: OwnSessionsPageModel): string {
  const { t, locale } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('sessions.title')}</h1>
<p class="lead">${t('sessions.lead')}</p>
${model.notice && html`<div class="notice" role="status"><p>${t(model.notice === 'signed_out' ? 'sessions.notice_signed_out' : 'sessions.notice_already_gone')}</p></div>`}
<ul class="device-list">
${model.sessions.map((s) => {
  const { browser, system } = describeBrowser(s.client?.userAgent);
  const name = browser ? (system ? t('console.browser_on', { browser, system }) : browser) : t('console.browser_unknown');
  return html`<li class="device">
<h2>${name}</h2>
${s.current && html`<p class="eyebrow">${t('sessions.this_browser')}</p>`}
<dl class="details">
<dt>${t('console.col_address')}</dt><dd>${s.client?.ip ?? t('sessions.address_unknown')}</dd>
<dt>${t('console.col_started')}</dt><dd>${renderTime(locale, s.createdAt)}</dd>
<dt>${t('sessions.last_activity')}</dt><dd>${renderTime(locale, s.lastActiveAt)}</dd>
</dl>
<form method="post" action="${model.basePath}sessions/sign-out" class="actions">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="session" value="${s.id}">
<button class="button button-secondary" type="submit">${s.current ? t('sessions.sign_out_here') : t('sessions.sign_out_there', { name })}</button>
</form>
</li>
`;
})}</ul>
<p class="hint">${t('sessions.not_you')}</p>
<p><a href="${model.basePath}methods">${t('home.methods_link')}</a> · <a href="${model.basePath}">${t('common.back_to_portal')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('sessions.title'), wide: true, body });
}
