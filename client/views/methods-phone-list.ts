import { renderDeviceActions, renderUsageRows } from './device-actions.js';
import { DEVICE_NAME_MAX_LENGTH } from './methods-device-list.js';
import { html, type SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

export interface MethodsPagePhone {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface PhoneListModel extends PageContext {
  csrfToken: string;
  phones: MethodsPagePhone[];
  canManage: boolean;
  requiresSecondFactor: boolean;
  /** The user's other second factors (apps, tokens, passkeys): removing the last of all warns. */
  otherFactors: number;
  timeZone?: string;
}

/** Phones enrolled for push approval, with "Add phone" and, per phone, rename and remove. */
export function renderPhoneSection(model: PhoneListModel): SafeHtml {
  const { t, basePath } = model;
  return html`<section class="card" aria-labelledby="phones-heading">
<h2 id="phones-heading">${t('push.methods_heading')}</h2>
<p>${t('push.methods_intro')}</p>
${
  model.phones.length === 0
    ? html`<p class="muted">${t('push.methods_none')}</p>`
    : html`<ul class="device-list">
${model.phones.map(
  (phone, i) => html`<li class="device">
<h3 id="phone-${i}-name">${phone.name}</h3>
<dl class="details">
${renderUsageRows(model, phone)}
</dl>
${
  model.canManage &&
  renderDeviceActions({
    t,
    idPrefix: 'phone-',
    index: i,
    nameId: `phone-${i}-name`,
    hidden: html`<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="device" value="${phone.id}">`,
    rename: { action: `${basePath}methods/push/rename`, field: 'name', value: phone.name, maxLength: DEVICE_NAME_MAX_LENGTH },
    remove: { action: `${basePath}methods/push/remove`, hint: 'push.methods_remove_hint', submit: 'push.methods_remove' },
    last: model.phones.length + model.otherFactors === 1 && model.requiresSecondFactor,
  })
}
</li>\n`,
)}</ul>`
}
${
  model.canManage &&
  html`<form class="actions" method="post" action="${basePath}methods/push/add">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<button type="submit" class="button button-primary">${t('push.methods_add')}</button>
</form>`
}
</section>`;
}
