import type { Translate } from '../../i18n.js';
import { html, type SafeHtml } from '../html.js';

/** "Previous" / "Next" under a server-paged list (users, tokens); nothing when it fits one page. */
export function renderPager(t: Translate, page: number, shownUpTo: number, total: number, pageHref: (page: number) => string): SafeHtml | false {
  return (
    (page > 1 || shownUpTo < total) &&
    html`<nav class="pager" aria-label="${t('console.pager_label')}">
${page > 1 ? html`<a class="button button-secondary" href="${pageHref(page - 1)}" rel="prev">${t('console.pager_previous')}</a>` : ''}
${shownUpTo < total ? html`<a class="button button-secondary" href="${pageHref(page + 1)}" rel="next">${t('console.pager_next')}</a>` : ''}
</nav>`
  );
}
