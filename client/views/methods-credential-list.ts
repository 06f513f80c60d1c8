import type { MessageKey, Translate } from '../i18n.js';
import { renderDeviceActions, renderUsageRows } from './device-actions.js';
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
  const { t } = model;
  return html`<li class="device">
<h3 id="credential-${i}-name">${credential.name}</h3>
<dl class="details">
<dt>${t('methods.kind')}</dt><dd>${describeCredentialKind(t, credential)}</dd>
<dt>${t('methods.webauthn_storage')}</dt><dd>${t(describeStorage(credential))}</dd>
${renderUsageRows(model, credential)}
</dl>
${model.canManage && renderCredentialForms(model, credential, i)}
</li>\n`;
}

function hiddenFields(model: CredentialListModel, credential: MethodsPageCredential): SafeHtml {
  return html`<input type="hidden" name="${CREDENTIAL_FIELDS.csrf}" value="${model.csrfToken}">
<input type="hidden" name="${CREDENTIAL_FIELDS.credential}" value="${credential.id}">`;
}

function renderCredentialForms(model: CredentialListModel, credential: MethodsPageCredential, i: number): SafeHtml {
  const { t, basePath } = model;
  return renderDeviceActions({
    t,
    idPrefix: 'credential-',
    index: i,
    nameId: `credential-${i}-name`,
    hidden: hiddenFields(model, credential),
    rename: { action: `${basePath}methods/webauthn/rename`, field: CREDENTIAL_FIELDS.name, value: credential.name, maxLength: CREDENTIAL_NAME_MAX_LENGTH },
    remove: { action: `${basePath}methods/webauthn/remove`, hint: 'methods.webauthn_remove_hint', submit: 'methods.webauthn_remove_submit' },
    last: model.credentials.length + model.otherFactors === 1 && model.requiresSecondFactor,
  });
}
