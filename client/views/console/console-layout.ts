import { LOCALES, type Locale } from '../../i18n.js';
import { html, type SafeHtml } from '../html.js';
import { renderLayout, type PageContext, type PageScript } from '../layout.js';

export interface ConsoleNavItem {
  href: string;
  label: string;
  current: boolean;
}

export interface ConsoleLayoutModel extends PageContext {
  title: string;
  hasError?: boolean;
  body: SafeHtml;
  script?: PageScript;
  /** The console's start page, where the brand leads. */
  consoleHref: string;
  nav: readonly ConsoleNavItem[];
  visitor: { username: string; displayName: string; role: 'admin' | 'auditor' };
  /** This page in another language (the switch sets a cookie and comes back). */
  languageHref: (locale: Locale) => string;
}

/** Each language named in itself, so a reader finds theirs whatever the page's language. */
const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = { en: 'English', 'zh-TW': '繁體中文' };

/**
 * The console's document: the portal's layout with the console's header — its navigation, who is
 * signed in (and as what), the language switch and sign-out — and a wide main column for tables.
 */
export function renderConsoleLayout(model: ConsoleLayoutModel): string {
  const { t, locale, basePath, visitor } = model;
  const header = html`<nav class="console-nav" aria-label="${t('console.nav_label')}">
<ul>
${model.nav.map((item) => html`<li><a href="${item.href}"${item.current ? html` aria-current="page"` : ''}>${item.label}</a></li>\n`)}</ul>
</nav>
<div class="console-account">
<p class="console-visitor"><span class="visually-hidden">${t('console.signed_in_as')} </span><span class="console-visitor-name">${visitor.displayName || visitor.username}</span> <span class="badge">${t(visitor.role === 'admin' ? 'console.role_admin' : 'console.role_auditor')}</span></p>
<ul class="console-languages" aria-label="${t('console.language_label')}">
${LOCALES.map((l) => html`<li><a href="${model.languageHref(l)}" lang="${l}" hreflang="${l}"${l === locale ? html` aria-current="true"` : ''}>${LANGUAGE_NAMES[l]}</a></li>\n`)}</ul>
<a class="console-sign-out" href="${basePath}logout">${t('console.sign_out')}</a>
</div>
`;
  return renderLayout({
    t,
    locale,
    basePath,
    assets: model.assets,
    title: model.title,
    hasError: model.hasError,
    body: model.body,
    script: model.script,
    header: { content: header, brandHref: model.consoleHref },
    stylesheet: 'console',
    mainClass: 'console-main',
  });
}
