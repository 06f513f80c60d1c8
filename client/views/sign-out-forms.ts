import type { Translate } from '../i18n.js';
import { html, type SafeHtml } from './html.js';

export interface SignOutFormsModel {
  t: Translate;
  basePath: string;
  csrfToken: string;
  /** Where to go afterwards; the server has already checked it against the allow-list. */
  redirectTarget?: string;
}

/** The "Sign out" and "Sign out everywhere" buttons, each its own POST form to `logout`. */
export function renderSignOutForms(model: SignOutFormsModel): SafeHtml {
  const { t } = model;
  return html`<div class="actions">
${renderForm(model, 'here', html`<button type="submit" class="button button-primary">${t('signout.here')}</button>`)}
${renderForm(model, 'everywhere', html`<button type="submit" class="button button-secondary" aria-describedby="signout-everywhere-hint">${t('signout.everywhere')}</button>`)}
</div>
<p id="signout-everywhere-hint" class="hint">${t('signout.everywhere_hint')}</p>`;
}

function renderForm(model: SignOutFormsModel, scope: 'here' | 'everywhere', button: SafeHtml): SafeHtml {
  return html`<form method="post" action="${model.basePath}logout">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="scope" value="${scope}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="rd" value="${model.redirectTarget}">`}
${button}
</form>`;
}
