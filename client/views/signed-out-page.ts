import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export interface SignedOutPageModel extends PageContext {
  /** True after "Sign out everywhere". */
  everywhere?: boolean;
}

export function renderSignedOutPage(model: SignedOutPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('signedout.heading')}</h1>
<p class="lead">${t(model.everywhere ? 'signedout.body_everywhere' : 'signedout.body')}</p>
<p>${t('signedout.shared_computer')}</p>
<p><a class="button button-primary" href="${model.basePath}">${t('signedout.sign_in_again')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('signedout.title'), body });
}
