import { formatTime } from './format-time.js';
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
  timeZone?: string;
}

/** Phones enrolled for push approval, with "Add phone" and, per phone, remove. */
export function renderPhoneSection(model: PhoneListModel): SafeHtml {
  const { t, locale, timeZone, basePath } = model;
  return html`<section class="card" aria-labelledby="phones-heading">
<h2 id="phones-heading">${t('push.methods_heading')}</h2>
<p>${t('push.methods_intro')}</p>
${model.phones.length === 0
  ? html`<p class="muted">${t('push.methods_none')}</p>`
  : html`<ul class="device-list">
${model.phones.map((phone, i) => html`<li class="device">
<h3 id="phone-${i}-name">${phone.name}</h3>
<dl class="details">
<dt>${t('methods.added')}</dt><dd>${formatTime(locale, phone.createdAt, timeZone)}</dd>
<dt>${t('methods.last_used')}</dt><dd>${phone.lastUsedAt === null ? t('methods.never_used') : formatTime(locale, phone.lastUsedAt, timeZone)}</dd>
</dl>
${model.canManage && html`<details class="danger">
<summary aria-describedby="phone-${i}-name">${t('methods.remove_toggle')}</summary>
<form method="post" action="${basePath}methods/push/remove">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="device" value="${phone.id}">
<p id="phone-remove-${i}-hint" class="hint">${t('push.methods_remove_hint')}</p>
<button type="submit" class="button button-danger" aria-describedby="phone-${i}-name phone-remove-${i}-hint">${t('push.methods_remove')}</button>
</form>
</details>`}
</li>\n`)}</ul>`}
${model.canManage && html`<form method="post" action="${basePath}methods/push/add">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<button type="submit" class="button button-primary">${t('push.methods_add')}</button>
</form>`}
</section>`;
}
