// Types for webauthn-ceremonies.js, which the browser loads as is (no build step).

export type ServerErrorCode =
  | 'challenge-expired'
  | 'verification-failed'
  | 'unknown-credential'
  | 'user-verification-required'
  | 'aaguid-not-allowed'
  | 'synced-not-allowed'
  | 'duplicate'
  | 'counter-regression'
  | 'throttled'
  | 'csrf'
  | 'passwordless-not-allowed';
export type MessageCode = ServerErrorCode | 'cancelled' | 'unsupported' | 'unsuitable' | 'network' | 'generic';
/** 'aborted': another ceremony took over; nothing to show. */
export type FailureCode = MessageCode | 'aborted';

export type CeremonyResult = { ok: true; redirect: string } | { ok: false; code: FailureCode };
export type AuthenticationMode = 'second-factor' | 'passwordless';

export interface CeremonyDeps {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  basePath: string;
  csrfToken: string;
  startRegistration: (options: { optionsJSON: object }) => Promise<unknown>;
  startAuthentication: (options: { optionsJSON: object; useBrowserAutofill?: boolean }) => Promise<unknown>;
}

export declare const SERVER_ERROR_CODES: readonly ServerErrorCode[];
export declare const MESSAGE_CODES: readonly MessageCode[];
export declare function codeForBrowserError(error: unknown): FailureCode;
export declare function codeForServerAnswer(status: number, body: unknown): ServerErrorCode | 'generic';
export declare function messageFor(code: string, messages: unknown): string;
export declare function toSafeRedirect(value: unknown): string | undefined;
export declare function createCeremonies(deps: CeremonyDeps): {
  register(name: string): Promise<CeremonyResult>;
  authenticate(request: { mode: AuthenticationMode; rd?: string; autofill?: boolean }): Promise<CeremonyResult>;
};
