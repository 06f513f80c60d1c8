import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export interface SecondFactorNeededPageModel extends PageContext {
  siteName?: string;
}

/** Shown when a site's rule asks for a second factor the account cannot present yet. */
export function renderSecondFactorNeededPage(model: SecondFactorNeededPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('second_factor.title')}</h1>
<p class="lead">${model.siteName ? t('second_factor.body_site', { site: model.siteName }) : t('second_factor.body')}</p>
<p>${t('second_factor.contact')}</p>
<p><a href="${model.basePath}">${t('common.back_to_portal')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('second_factor.title'), body });
}
