import type { MessageKey } from '../i18n.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderWebAuthnAlertSlot, renderWebAuthnData } from './webauthn-data.js';

export type SignInError =
  | 'invalid_credentials'
  | 'too_large'
  | 'store_unavailable'
  | 'directory_unavailable'
  | 'csrf'
  | 'throttled'
  | 'busy'
  /** The directory's account states: shown only once the password was right, or when the directory says so. */
  | 'password_expired'
  | 'password_must_change'
  | 'account_disabled'
  | 'account_expired';

export interface SignInPageModel extends PageContext {
  csrfToken: string;
  /** Where to go after signing in; already checked by the server. Sent back as `rd`. */
  redirectTarget?: string;
  /** Typed username to show again after a failed attempt. The password is never shown again. */
  username?: string;
  error?: SignInError;
  siteName?: string;
  /** Lifetime of a "remember me" session in days; absent or not positive hides the option. */
  rememberMeDays?: number;
  /** Where users change their password (authentication.ldap.password_change_url), for the expired-password pages. */
  passwordChangeUrl?: string;
  /**
   * Offer passkeys: a "Sign in with a passkey" button and passkey autofill in the username field.
   * Both need static/webauthn.js, which shows the button only where the browser can use it.
   */
  passkeySignIn?: boolean;
}

/** Form field names the server reads from the POST to `login`. */
export const SIGN_IN_FIELDS = {
  username: 'username',
  password: 'password',
  rememberMe: 'remember_me',
  csrf: 'csrf',
  redirectTarget: 'rd',
} as const;

export const USERNAME_MAX_LENGTH = 128;
export const PASSWORD_MAX_LENGTH = 1024;

// Unknown, wrong password, disabled and locked all arrive as invalid_credentials: one text for all.
const ERROR_MESSAGES: Record<SignInError, MessageKey> = {
  invalid_credentials: 'signin.error_invalid_credentials',
  too_large: 'signin.error_too_large',
  throttled: 'signin.error_throttled',
  busy: 'signin.error_busy',
  store_unavailable: 'error.store_unavailable',
  directory_unavailable: 'signin.error_directory_unavailable',
  csrf: 'signin.error_csrf',
  password_expired: 'signin.error_password_expired',
  password_must_change: 'signin.error_password_must_change',
  account_disabled: 'signin.error_account_disabled',
  account_expired: 'signin.error_account_expired',
};

/** States that the user resolves by changing their password. */
const PASSWORD_CHANGE: ReadonlySet<SignInError> = new Set(['password_expired', 'password_must_change']);

/** Errors about what was typed mark both fields invalid; the others are about the page or the service. */
const FIELD_ERRORS: ReadonlySet<SignInError> = new Set(['invalid_credentials', 'too_large']);

export function renderSignInPage(model: SignInPageModel): string {
  const { t, basePath, error } = model;
  const fieldError = error !== undefined && FIELD_ERRORS.has(error);
  const invalid = fieldError ? html` aria-invalid="true" aria-describedby="form-error"` : '';
  const hasUsername = model.username !== undefined && model.username !== '';
  const passkeys = model.passkeySignIn === true;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('signin.title')}</h1>
<p class="lead">${model.siteName ? t('signin.intro_site', { site: model.siteName }) : t('signin.intro')}</p>
${error !== undefined && html`<div id="form-error" class="alert" role="alert"><p>${t(ERROR_MESSAGES[error] ?? 'signin.error_invalid_credentials')}</p>${PASSWORD_CHANGE.has(error) && renderPasswordChange(model)}</div>`}
${passkeys && renderWebAuthnAlertSlot()}
<form class="form" method="post" action="${basePath}login">
<input type="hidden" name="${SIGN_IN_FIELDS.csrf}" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="${SIGN_IN_FIELDS.redirectTarget}" value="${model.redirectTarget}">`}
<div class="field">
<label for="username">${t('signin.username')}</label>
<input id="username" name="${SIGN_IN_FIELDS.username}" type="text" value="${model.username ?? ''}" autocomplete="${passkeys ? 'username webauthn' : 'username'}" autocapitalize="none" spellcheck="false" maxlength="${USERNAME_MAX_LENGTH}" required${invalid}${hasUsername ? '' : html` autofocus`}>
</div>
<div class="field">
<label for="password">${t('signin.password')}</label>
<input id="password" name="${SIGN_IN_FIELDS.password}" type="password" autocomplete="current-password" maxlength="${PASSWORD_MAX_LENGTH}" required${invalid}${hasUsername ? html` autofocus` : ''}>
</div>
${renderRememberMe(model)}
<button type="submit" class="button button-primary button-block">${t('signin.submit')}</button>
</form>
${passkeys && renderPasskeyButton(model)}
</section>`;
  return renderLayout({ ...model, title: t('signin.title'), hasError: error !== undefined, body, script: passkeys ? 'webauthn' : undefined });
}

function renderPasswordChange({ t, passwordChangeUrl }: SignInPageModel) {
  return passwordChangeUrl ? html`<p><a href="${passwordChangeUrl}">${t('signin.change_password_link')}</a></p>` : html`<p>${t('signin.change_password_ask')}</p>`;
}

function renderRememberMe({ t, locale, rememberMeDays: days }: SignInPageModel) {
  if (days === undefined || !Number.isFinite(days) || days <= 0) return '';
  const plural = new Intl.PluralRules(locale).select(days) === 'one' ? 'signin.remember_me_one' : 'signin.remember_me_other';
  const label = t(plural, { days: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(days) });
  return html`<div class="field field-check">
<input id="remember-me" name="${SIGN_IN_FIELDS.rememberMe}" type="checkbox" value="1" aria-describedby="remember-me-hint">
<label for="remember-me">${label}</label>
<p id="remember-me-hint" class="hint">${t('signin.remember_me_hint')}</p>
</div>`;
}

// Hidden until the script has checked that this browser can use passkeys: without it the button would do nothing.
function renderPasskeyButton(model: SignInPageModel) {
  const { t } = model;
  return html`<div class="webauthn"${renderWebAuthnData(model, 'passwordless')} hidden>
<p class="divider">${t('signin.or')}</p>
<button id="webauthn-start" type="button" class="button button-secondary button-block">${t('signin.passkey')}</button>
</div>`;
}
