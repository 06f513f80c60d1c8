import type { Locale, MessageKey, Translate } from '../i18n.js';
import { renderTime } from './format-time.js';
import { html, type SafeHtml } from './html.js';

/**
 * The rename and remove forms of one enrolled factor on "My sign-in methods" — an app or token,
 * a passkey, a phone. Plain forms that work without JavaScript; removing sits behind a
 * <details>, a second and deliberate click. Each button names its factor through
 * aria-describedby, since every card has the same labels.
 */
export function renderDeviceActions(input: {
  t: Translate;
  /** Prefix of the form controls' ids ("", "credential-", "phone-"), with `index` keeping them unique. */
  idPrefix: string;
  index: number;
  /** Id of the element that names the factor. */
  nameId: string;
  /** The hidden fields both forms post (CSRF token, the factor's id). */
  hidden: SafeHtml;
  rename?: { action: string; field: string; value: string; maxLength: number };
  remove: { action: string; hint: MessageKey; submit: MessageKey };
  /** Removing it leaves the user without a second factor where one is required: warn instead of hint. */
  last: boolean;
}): SafeHtml {
  const { t, idPrefix: p, index: i, nameId, hidden, rename, remove, last } = input;
  return html`<div class="device-actions">
${
  rename &&
  html`<form class="inline-form" method="post" action="${rename.action}">
${hidden}
<div class="field">
<label for="${p}rename-${i}">${t('methods.rename_label')}</label>
<input id="${p}rename-${i}" name="${rename.field}" type="text" value="${rename.value}" maxlength="${rename.maxLength}" autocomplete="off" required>
</div>
<button type="submit" class="button button-secondary" aria-describedby="${nameId}">${t('methods.rename_submit')}</button>
</form>`
}
<details class="danger">
<summary aria-describedby="${nameId}">${t('methods.remove_toggle')}</summary>
<form method="post" action="${remove.action}">
${hidden}
<p id="${p}remove-${i}-hint" class="${last ? 'warning' : 'hint'}">${t(last ? 'methods.remove_last_warning' : remove.hint)}</p>
<button type="submit" class="button button-danger" aria-describedby="${nameId} ${p}remove-${i}-hint">${t(remove.submit)}</button>
</form>
</details>
</div>`;
}

/** "Added" and "Last used" of one enrolled factor, as rows of its <dl class="details">. */
export function renderUsageRows(model: { t: Translate; locale: Locale; timeZone?: string }, factor: { createdAt: number; lastUsedAt: number | null }): SafeHtml {
  const { t, locale, timeZone } = model;
  return html`<dt>${t('methods.added')}</dt><dd>${renderTime(locale, factor.createdAt, timeZone)}</dd>
<dt>${t('methods.last_used')}</dt><dd>${factor.lastUsedAt === null ? t('methods.never_used') : renderTime(locale, factor.lastUsedAt, timeZone)}</dd>`;
}
