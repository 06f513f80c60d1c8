import type { MessageKey, Translate } from '../i18n.js';
import { renderTime } from './format-time.js';
import { html, type SafeHtml } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderSignOutForms } from './sign-out-forms.js';
import { translateHtml } from './translate-html.js';

export interface HomePageModel extends PageContext {
  csrfToken: string;
  user: { username: string; displayName: string; email: string; groups: string[] };
  factors: Array<{ kind: string; at: number }>;
  sessionStartedAt: number;
  sites: Array<{ name: string; url: string }>;
  /** IANA zone for the times shown; defaults to the server's. */
  timeZone?: string;
}

/** The signed-in landing page: the sites one may open, how this session began, and signing out. */
export function renderHomePage(model: HomePageModel): string {
  const { t, user } = model;
  const time = (at: number) => renderTime(model.locale, at, model.timeZone);
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('home.greeting', { name: user.displayName || user.username })}</h1>
<p class="lead">${t('home.signed_in_as', { username: user.username })}</p>
<h2>${t('home.sites_heading')}</h2>
${renderSites(t, model.sites)}
</section>
<section class="card" aria-labelledby="session-heading">
<h2 id="session-heading">${t('home.session_heading')}</h2>
<p>${translateHtml(t, 'home.session_started', { time: time(model.sessionStartedAt) })}</p>
<h3>${t('home.factors_heading')}</h3>
<ul class="plain-list">
${model.factors.map((f) => html`<li>${translateHtml(t, 'home.factor_at', { factor: factorLabel(t, f.kind), time: time(f.at) })}</li>\n`)}
</ul>
<p><a href="${model.basePath}methods">${t('home.methods_link')}</a> · <a href="${model.basePath}sessions">${t('sessions.link')}</a></p>
${renderSignOutForms(model)}
</section>
<section class="card" aria-labelledby="profile-heading">
<h2 id="profile-heading">${t('home.profile_heading')}</h2>
<dl class="details">
<dt>${t('home.username')}</dt><dd>${user.username}</dd>
${user.email && html`<dt>${t('home.email')}</dt><dd>${user.email}</dd>`}
<dt>${t('home.groups')}</dt><dd>${user.groups.length > 0 ? user.groups.join(', ') : t('home.groups_none')}</dd>
</dl>
</section>`;
  return renderLayout({ ...model, title: t('home.title'), wide: true, body });
}

function renderSites(t: Translate, sites: HomePageModel['sites']): SafeHtml {
  if (sites.length === 0) return html`<p class="muted">${t('home.sites_empty')}</p>`;
  return html`<ul class="site-list">
${sites.map((site) => html`<li>${renderSite(site)}</li>\n`)}
</ul>`;
}

// Site URLs come from the validated config; the check keeps a javascript: URL out of an href regardless.
function renderSite(site: { name: string; url: string }): SafeHtml {
  const url = parseWebUrl(site.url);
  if (!url) return html`<span class="site-name">${site.name}</span>`;
  const shown = url.host + (url.pathname === '/' ? '' : url.pathname);
  return html`<a class="site-link" href="${url.href}"><span class="site-name">${site.name}</span><span class="site-url">${shown}</span></a>`;
}

function parseWebUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const FACTOR_LABELS: Readonly<Record<string, MessageKey>> = {
  password: 'factor.password',
  totp: 'factor.totp',
  hotp: 'factor.hotp',
  webauthn: 'factor.webauthn',
  push: 'factor.push',
  email_otp: 'factor.email_otp',
  sms_otp: 'factor.sms_otp',
  recovery_code: 'factor.recovery_code',
};

function factorLabel(t: Translate, kind: string): string {
  const key = Object.hasOwn(FACTOR_LABELS, kind) ? FACTOR_LABELS[kind] : undefined;
  return key ? t(key) : t('factor.other', { kind });
}
