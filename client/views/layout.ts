import type { Locale, Translate } from '../i18n.js';
import { html, type SafeHtml } from './html.js';

/** What every page needs. `basePath` is the portal's path and ends with "/" ("/" or "/auth/"). */
export interface PageContext {
  t: Translate;
  locale: Locale;
  basePath: string;
}

export interface LayoutModel extends PageContext {
  /** The page's own title; the product name is added. */
  title: string;
  /** Prefixes the title with "Error:", so screen-reader users hear it before anything else. */
  hasError?: boolean;
  /** Wider column for pages with lists (the account page). */
  wide?: boolean;
  body: SafeHtml;
  /** Module scripts from static/, by name; only the ones the portal ships can be named. */
  scripts?: readonly PageScript[];
  /** More of the header after the brand (the console's navigation); the brand then links here. */
  header?: { content: SafeHtml; brandHref: string };
  /** A stylesheet from static/ on top of portal.css (the console's tables and navigation). */
  stylesheet?: 'console';
  /** The main column's class instead of `page` / `page-wide`. */
  mainClass?: string;
}

/** Scripts in client/static/. A page that needs none works without JavaScript; one that has one still works without it for everything else. */
export type PageScript = 'webauthn' | 'push-sign-in' | 'local-time' | 'recovery-codes' | 'sent-code' | 'audit-live';

/** The shared document: one stylesheet, no inline script, nothing from another origin. */
export function renderLayout(model: LayoutModel): string {
  const { t, locale, basePath } = model;
  const title = t(model.hasError ? 'layout.title_error' : 'layout.title', { page: model.title });
  const scripts = scriptsFor(model);
  const document = html`<html lang="${locale}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="strict-origin">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<link rel="stylesheet" href="${basePath}static/portal.css">
${model.stylesheet && html`<link rel="stylesheet" href="${basePath}static/${model.stylesheet}.css">\n`}<link rel="icon" href="${basePath}static/favicon.svg" type="image/svg+xml">
${scripts.map((name) => html`<script type="module" src="${basePath}static/${name}.js"></script>\n`)}</head>
<body>
<a class="skip-link" href="#main">${t('layout.skip_link')}</a>
<header class="${model.header ? 'site-header console-header' : 'site-header'}">
<a class="brand" href="${model.header?.brandHref ?? basePath}"><img src="${basePath}static/favicon.svg" alt="" width="28" height="28"><span>${t('app.name')}</span></a>
${model.header?.content}</header>
<main id="main" class="${model.mainClass ?? (model.wide ? 'page page-wide' : 'page')}" tabindex="-1">
${model.body}
</main>
<footer class="site-footer">
<p>${t('layout.footer')}</p>
</footer>
</body>
</html>
`;
  return '<!doctype html>\n' + document.toString();
}

/**
 * The page's own scripts, and static/local-time.js wherever a time is shown (renderTime's
 * `<time datetime>`): every time on every page is then read in the reader's own zone.
 */
function scriptsFor(model: LayoutModel): readonly PageScript[] {
  const scripts = model.scripts ?? [];
  return model.body.toString().includes('<time datetime="') && !scripts.includes('local-time') ? [...scripts, 'local-time'] : scripts;
}
