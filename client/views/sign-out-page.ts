import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderSignOutForms } from './sign-out-forms.js';

export interface SignOutPageModel extends PageContext {
  csrfToken: string;
  /** Where to go after signing out; already checked by the server. */
  redirectTarget?: string;
}

/** Asked on GET /logout: signing out changes state, so it happens only by the POST these buttons send. */
export function renderSignOutPage(model: SignOutPageModel): string {
  const { t } = model;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('signout.heading')}</h1>
<p class="lead">${t('signout.intro')}</p>
${renderSignOutForms(model)}
<p><a href="${model.basePath}">${t('signout.cancel')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('signout.title'), body });
}
