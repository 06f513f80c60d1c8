import type { AuditLog } from '../audit/create-audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Directory, DirectoryState } from '../directory/directory.js';
import type { AuthenticationFailure } from '../factors/webauthn/verify-authentication.js';
import type { WebAuthnService } from '../factors/webauthn/webauthn-service.js';
import type { Attempt, Regulator } from '../regulation/regulator.js';
import type { FactorUse, Session, SessionUser } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { AccountStateStore, UserStateStore } from '../storage/storage.js';
import type { KnownBrowsers } from '../notifications/known-browsers.js';
import type { Locale } from '../../client/i18n.js';
import { checkPasskey } from './sign-in-with-passkey.js';
import { checkPassword } from './sign-in-with-password.js';

export interface SignInDeps {
  directory: Directory;
  sessions: SessionStore;
  regulator: Regulator;
  accountStates: AccountStateStore;
  /** Where a passkey's use is remembered as the user's last used factor. */
  userState?: UserStateStore;
  /** Verifies a passkey sign-in's assertion; needed for `method: 'passkey'` only. */
  passkeys?: Pick<WebAuthnService, 'verifyAuthentication'>;
  logger: Logger;
  audit: AuditLog;
  /** Present while the new_browser notification is on: which browsers each user signed in from. */
  browsers?: KnownBrowsers;
  now: () => number;
  onResult?: (factor: 'password' | 'webauthn', result: 'success' | 'failure') => void;
}

/** A passkey alone: who it is comes from the credential's user handle, never from the request. */
export interface PasskeyCredential {
  method: 'passkey';
  response: unknown;
  /** What the challenge was bound to before sign-in (the browser's CSRF cookie). */
  binding: string;
  /**
   * Whether a passkey alone may sign in for the sign-in's target: asked without `who` before the
   * passkey is checked, and again with the user it names and the use it made (a rule with a
   * subject may say otherwise for them).
   */
  allows(who?: { user: SessionUser; use: FactorUse }): boolean;
}

export interface PasswordCredential {
  method: 'password';
  username: string;
  password: string;
}

export type SignInInput = (PasswordCredential | PasskeyCredential) & {
  rememberMe: boolean;
  /** The session this browser had, ended by the sign-in: a sign-in always gets a new id (no fixation). */
  previousToken?: string;
  clientIp: string;
  userAgent?: string;
  requestId?: string;
  site?: string;
  /** The browser's own cookie value (known-browsers.ts), as sent; checked before use. */
  browserCookie?: string;
  /** The language the browser asked for, remembered for later mails. */
  locale?: Locale;
};

export type SignInResult =
  /** `browserCookie`: the value the browser must keep, when browsers are remembered. */
  | { ok: true; token: string; session: Session; browserCookie?: string }
  /**
   * `invalid-credentials` covers unknown, disabled, locked and wrong-password alike: the caller
   * must not tell them apart. `address-throttled` is about the caller's own address only.
   */
  | { ok: false; reason: 'invalid-credentials' | 'address-throttled' }
  /** The password was right, but the directory says the account cannot sign in as it is (expired password, …). */
  | { ok: false; reason: 'account-state'; state: DirectoryState }
  /**
   * Not checked, "try again in a moment": too many password checks from the caller's address
   * (`address`) or from everyone (`all`) are waiting. Says nothing about the account.
   */
  | { ok: false; reason: 'busy'; scope: 'address' | 'all' }
  /**
   * A passkey sign-in refused: `throttled` (the address, or the account it named, is refused),
   * `passwordless-not-allowed` (not for this target, or not for this user: the same answer before
   * and after the passkey), or the assertion itself (`detail`: verify-authentication's reason, or
   * `unknown-credential` for a user the directory does not know).
   */
  | { ok: false; reason: 'throttled' | 'passwordless-not-allowed' }
  | { ok: false; reason: 'passkey-refused'; detail: AuthenticationFailure | 'unknown-credential' };

type SignInFailure = Extract<SignInResult, { ok: false }>;

/**
 * What a first factor's check found: the user, the factor use and the attempt regulation saw —
 * with the answer for an account that may not sign in now — or the refusal and its audit reason.
 */
export type FirstFactorCheck =
  | { ok: true; user: SessionUser; use: FactorUse; attempt: Required<Attempt>; accountRefused: SignInFailure; audit?: Record<string, unknown> }
  | { ok: false; result: SignInFailure; reason: string; subject?: string };

/**
 * The first sign-in step, with a password or, where passwordless is allowed, a passkey alone.
 * Each method checks its credential under regulation (sign-in-with-password.ts,
 * sign-in-with-passkey.ts); everything after is one path: an account disabled in Gatehouse is
 * refused, the previous session ends, a new one starts with exactly the factor used, and the
 * attempt leaves one audit event and one metric either way.
 */
export async function signIn(deps: SignInDeps, input: SignInInput): Promise<SignInResult> {
  const factor = input.method === 'password' ? 'password' : 'webauthn';
  const context = { clientIp: input.clientIp, userAgent: input.userAgent, requestId: input.requestId, site: input.site };
  const fail = async (reason: string, subject: string | undefined, result: SignInFailure) => {
    await deps.audit.record({ kind: 'sign_in.failure', subject, ...context, reason, details: { factor }, message: 'sign-in failed' });
    deps.onResult?.(factor, 'failure');
    return result;
  };
  const checked = input.method === 'password' ? await checkPassword(deps, input) : await checkPasskey(deps, input);
  if (!checked.ok) return fail(checked.reason, checked.subject, checked.result);
  const { user, use } = checked;
  // The credential proved who it is; an account disabled in Gatehouse, or locked meanwhile, is still refused.
  if (await deps.accountStates.get(user.username)) return fail('disabled', user.username, checked.accountRefused);
  if (await deps.regulator.isLocked(user.username)) return fail('locked', user.username, checked.accountRefused);
  await deps.regulator.recordSuccess(checked.attempt);
  if (input.previousToken) await deps.sessions.destroy(input.previousToken);
  const created = await deps.sessions.create({ user, factor: use, rememberMe: input.rememberMe, client: { ip: input.clientIp, userAgent: input.userAgent } });
  if (use.device !== undefined) await deps.userState?.setLastUsed(user.username, use.kind, use.device);
  const browser = await recognizeBrowser(deps, user.username, input);
  await deps.audit.record({
    kind: 'sign_in.success',
    subject: user.username,
    ...context,
    details: { factor, ...checked.audit, ...(browser ? { browser: browser.isNew ? 'new' : 'known' } : {}) },
    message: 'signed in',
  });
  deps.onResult?.(factor, 'success');
  return { ok: true, token: created.token, session: created.session, ...(browser ? { browserCookie: browser.cookie } : {}) };
}

/** Whether the user signed in from this browser before; a store that fails only loses the mail, never the sign-in. */
async function recognizeBrowser(deps: SignInDeps, username: string, input: SignInInput) {
  if (!deps.browsers) return undefined;
  try {
    return await deps.browsers.recognize(username, input.browserCookie, input.locale);
  } catch (error) {
    deps.logger.warn({ err: (error as Error).message, username }, 'could not check the browser against the known ones');
    return undefined;
  }
}
