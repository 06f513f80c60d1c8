import type { PortalAssets } from '../assets/asset-manifest.js';
import { bundleFor, type PageScript } from '../assets/page-bundles.js';
import type { Locale, Translate } from '../i18n.js';
import { html, type SafeHtml } from './html.js';

export type { PageScript } from '../assets/page-bundles.js';

/**
 * What every page needs. `basePath` is the portal's path and ends with "/" ("/" or "/auth/");
 * `assets` names the built script bundles and stylesheets (content-hashed, with SRI values).
 */
export interface PageContext {
  t: Translate;
  locale: Locale;
  basePath: string;
  assets: PortalAssets;
}

export interface LayoutModel extends PageContext {
  /** The page's own title; the product name is added. */
  title: string;
  /** Prefixes the title with "Error:", so screen-reader users hear it before anything else. */
  hasError?: boolean;
  /** Wider column for pages with lists (the account page). */
  wide?: boolean;
  body: SafeHtml;
  /** The page's own script from static/, if any; it reaches the page bundled (client/assets/page-bundles.ts). */
  script?: PageScript;
  /** More of the header after the brand (the console's navigation); the brand then links here. */
  header?: { content: SafeHtml; brandHref: string };
  /** A stylesheet from static/ on top of portal.css (the console's tables and navigation). */
  stylesheet?: 'console';
  /** The main column's class instead of `page` / `page-wide`. */
  mainClass?: string;
}

/** The shared document: one stylesheet, no inline script, nothing from another origin. */
export function renderLayout(model: LayoutModel): string {
  const { t, locale, basePath, assets } = model;
  const title = t(model.hasError ? 'layout.title_error' : 'layout.title', { page: model.title });
  const bundle = bundleFor(model.script, model.body.toString().includes('<time datetime="'));
  const script = bundle && assets.scripts[bundle];
  const portalCss = assets.styles.portal;
  const extraCss = model.stylesheet && assets.styles[model.stylesheet];
  const document = html`<html lang="${locale}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="strict-origin">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<link rel="stylesheet" href="${basePath}static/${portalCss.file}" integrity="${portalCss.integrity}">
${extraCss && html`<link rel="stylesheet" href="${basePath}static/${extraCss.file}" integrity="${extraCss.integrity}">\n`}<link rel="icon" href="${basePath}static/favicon.svg" type="image/svg+xml">
${script && html`<script type="module" src="${basePath}static/${script.file}" integrity="${script.integrity}"></script>\n`}</head>
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
