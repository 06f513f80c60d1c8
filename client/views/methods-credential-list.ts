import type { MessageKey, Translate } from '../i18n.js';
import { formatTime } from './format-time.js';
import { html, type SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

/** A passkey or security key as the "My sign-in methods" page shows it. */
export interface MethodsPageCredential {
  /** Credential id (base64url), sent back as `credential`. */
  id: string;
  name: string;
  /** The model's friendly name from the AAGUID allow-list, when it is on the list. */
  authenticatorName: string | null;
  /** Discoverable (a passkey, usable without a username); null when the browser did not say. */
  discoverable: boolean | null;
  /** Backup eligible: a synced passkey (iCloud Keychain, Google Password Manager, …). */
  backupEligible: boolean;
  /** Backed up now (the BS flag at its last use). */
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface CredentialListModel extends PageContext {
  csrfToken: string;
  credentials: readonly MethodsPageCredential[];
  canManage: boolean;
  requiresSecondFactor: boolean;
  /** The user's second factors that are not in this list, for the warning before the last one goes. */
  otherFactors: number;
  timeZone?: string;
}

/** Form field names the server reads from the POSTs to `methods/webauthn/rename` and `methods/webauthn/remove`. */
export const CREDENTIAL_FIELDS = { csrf: 'csrf', credential: 'credential', name: 'name' } as const;
export const CREDENTIAL_NAME_MAX_LENGTH = 64;

/** The model's name when the allow-list knows it, else what the flags say it is. */
export function describeCredentialKind(t: Translate, credential: MethodsPageCredential): string {
  if (credential.authenticatorName) return credential.authenticatorName;
  if (credential.backupEligible) return t('methods.webauthn_kind_synced');
  if (credential.discoverable === true) return t('methods.webauthn_kind_passkey');
  if (credential.discoverable === false) return t('methods.webauthn_kind_security_key');
  return t('methods.webauthn_kind_unknown');
}

function describeStorage(credential: MethodsPageCredential): MessageKey {
  if (!credential.backupEligible) return 'methods.webauthn_device_bound';
  return credential.backedUp ? 'methods.webauthn_synced' : 'methods.webauthn_sync_pending';
}

/** The user's passkeys and security keys; with `canManage`, each with its rename and remove forms. */
export function renderCredentialList(model: CredentialListModel): SafeHtml {
  const { t, credentials } = model;
  if (credentials.length === 0) return html`<p class="muted">${t('methods.webauthn_empty')}</p>`;
  return html`<ul class="device-list">
${credentials.map((credential, i) => renderCredential(model, credential, i))}</ul>`;
}

function renderCredential(model: CredentialListModel, credential: MethodsPageCredential, i: number): SafeHtml {
  const { t, locale, timeZone } = model;
  return html`<li class="device">
<h3 id="credential-${i}-name">${credential.name}</h3>
<dl class="details">
<dt>${t('methods.kind')}</dt><dd>${describeCredentialKind(t, credential)}</dd>
<dt>${t('methods.webauthn_storage')}</dt><dd>${t(describeStorage(credential))}</dd>
<dt>${t('methods.added')}</dt><dd>${formatTime(locale, credential.createdAt, timeZone)}</dd>
<dt>${t('methods.last_used')}</dt><dd>${credential.lastUsedAt === null ? t('methods.never_used') : formatTime(locale, credential.lastUsedAt, timeZone)}</dd>
</dl>
${model.canManage && renderCredentialForms(model, credential, i)}
</li>\n`;
}

function hiddenFields(model: CredentialListModel, credential: MethodsPageCredential): SafeHtml {
  return html`<input type="hidden" name="${CREDENTIAL_FIELDS.csrf}" value="${model.csrfToken}">
<input type="hidden" name="${CREDENTIAL_FIELDS.credential}" value="${credential.id}">`;
}

// As for OTP devices: plain forms that work without JavaScript, removing behind a <details>.
function renderCredentialForms(model: CredentialListModel, credential: MethodsPageCredential, i: number): SafeHtml {
  const { t, basePath } = model;
  const last = model.credentials.length + model.otherFactors === 1 && model.requiresSecondFactor;
  return html`<div class="device-actions">
<form class="inline-form" method="post" action="${basePath}methods/webauthn/rename">
${hiddenFields(model, credential)}
<div class="field">
<label for="credential-rename-${i}">${t('methods.rename_label')}</label>
<input id="credential-rename-${i}" name="${CREDENTIAL_FIELDS.name}" type="text" value="${credential.name}" maxlength="${CREDENTIAL_NAME_MAX_LENGTH}" autocomplete="off" required>
</div>
<button type="submit" class="button button-secondary" aria-describedby="credential-${i}-name">${t('methods.rename_submit')}</button>
</form>
<details class="danger">
<summary aria-describedby="credential-${i}-name">${t('methods.remove_toggle')}</summary>
<form method="post" action="${basePath}methods/webauthn/remove">
${hiddenFields(model, credential)}
<p id="credential-remove-${i}-hint" class="${last ? 'warning' : 'hint'}">${t(last ? 'methods.remove_last_warning' : 'methods.webauthn_remove_hint')}</p>
<button type="submit" class="button button-danger" aria-describedby="credential-${i}-name credential-remove-${i}-hint">${t('methods.webauthn_remove_submit')}</button>
</form>
</details>
</div>`;
}
