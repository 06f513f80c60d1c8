import type { AuditLog } from '../../audit/create-audit-log.js';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { loadWebAuthnLibrary } from './webauthn-library.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import { randomToken } from '../../core/random.js';
import type { Kv } from '../../kv/kv.js';
import type { Storage, WebAuthnCredential } from '../../storage/storage.js';
import { normalizeCredentialName } from './credential-name.js';
import { verifyWebAuthnAuthentication, type AuthenticationResult } from './verify-authentication.js';
import { verifyWebAuthnRegistration, type RegistrationResult } from './verify-registration.js';
import { issueChallenge } from './webauthn-challenges.js';
import { resolveWebAuthnSettings, SUPPORTED_ALGORITHMS, type WebAuthnSettings } from './webauthn-settings.js';

export type { AuthenticationFailure, AuthenticationResult } from './verify-authentication.js';
export type { RegistrationFailure, RegistrationResult } from './verify-registration.js';
export type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON };

/** What a user or an administrator sees of a credential: no key material. */
export interface WebAuthnCredentialView {
  id: string;
  name: string;
  /** The allow-list's friendly name for the authenticator model, when listed. */
  model: string | null;
  aaguid: string;
  transports: string[];
  backupEligible: boolean;
  backupState: boolean;
  discoverable: boolean | null;
  userVerified: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface WebAuthnService {
  readonly settings: WebAuthnSettings;
  registrationOptions(input: { username: string; displayName?: string; binding: string; now: number }): Promise<PublicKeyCredentialCreationOptionsJSON>;
  verifyRegistration(input: { username: string; binding: string; response: unknown; name: unknown; now: number }): Promise<RegistrationResult>;
  authenticationOptions(input: { username?: string; binding: string; now: number }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verifyAuthentication(input: { username?: string; binding: string; response: unknown; now: number }): Promise<AuthenticationResult>;
  listCredentials(username: string): Promise<WebAuthnCredentialView[]>;
  renameCredential(username: string, id: string, name: unknown): Promise<{ ok: true } | { ok: false; reason: 'invalid-name' | 'not-found' }>;
  /** False when the credential is unknown or not the user's. */
  removeCredential(username: string, id: string): Promise<boolean>;
}

/** A user handle carries no information about the user (§14.6.1): 32 random bytes. */
const newUserHandle = () => randomToken(32);

export function createWebAuthnService(
  deps: { storage: Storage; kv: Kv; logger: Logger; audit: AuditLog },
  options: { config: Config['second_factors']['webauthn']; portalUrl: URL },
): WebAuthnService {
  const settings = resolveWebAuthnSettings(options.config, options.portalUrl);
  const credentials = deps.storage.webauthnCredentials;
  const verifyDeps = { ...deps, settings };
  const timeout = settings.challengeTtlSeconds * 1000;
  const descriptors = async (username: string) => (await credentials.listForUser(username)).map((c) => ({ id: c.id, transports: c.transports }));

  const toView = (c: WebAuthnCredential): WebAuthnCredentialView => ({
    id: c.id,
    name: c.name,
    model: settings.allowlist.get(c.aaguid) ?? null,
    aaguid: c.aaguid,
    transports: [...c.transports],
    backupEligible: c.backupEligible,
    backupState: c.backupState,
    discoverable: c.discoverable,
    userVerified: c.userVerified,
    createdAt: c.createdAt,
    lastUsedAt: c.lastUsedAt,
  });

  const ownCredential = async (username: string, id: string) => {
    const credential = typeof id === 'string' ? await credentials.get(id) : undefined;
    return credential?.username === username ? credential : undefined;
  };

  return {
    settings,

    async registrationOptions({ username, displayName, binding, now }) {
      const userHandle = await credentials.userHandleFor(username, newUserHandle);
      const pending = await issueChallenge(deps.kv, { ceremony: 'registration', binding, username, userHandle, ttlSeconds: settings.challengeTtlSeconds, now });
      const generated = await (await loadWebAuthnLibrary()).server.generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: settings.rpId,
        userName: username,
        userID: new Uint8Array(Buffer.from(userHandle, 'base64url')),
        userDisplayName: displayName ?? username,
        challenge: new Uint8Array(Buffer.from(pending.challenge, 'base64url')),
        timeout,
        excludeCredentials: await descriptors(username),
        authenticatorSelection: {
          residentKey: settings.residentKey,
          userVerification: settings.userVerification,
          ...(settings.attachment ? { authenticatorAttachment: settings.attachment } : {}),
        },
        supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
      });
      // The library's type leaves out "indirect", which browsers accept; the config allows it.
      return { ...generated, attestation: settings.attestation };
    },

    async verifyRegistration(input) {
      const result = await verifyWebAuthnRegistration(verifyDeps, input);
      if (!result.ok) deps.logger.debug({ username: input.username, reason: result.reason }, 'webauthn: registration refused');
      return result;
    },

    async authenticationOptions({ username, binding, now }) {
      const pending = await issueChallenge(deps.kv, { ceremony: 'authentication', binding, username: username ?? null, ttlSeconds: settings.challengeTtlSeconds, now });
      return (await loadWebAuthnLibrary()).server.generateAuthenticationOptions({
        rpID: settings.rpId,
        challenge: new Uint8Array(Buffer.from(pending.challenge, 'base64url')),
        timeout,
        // Username-less: any discoverable credential, and it must verify the user (see verify).
        allowCredentials: username === undefined ? [] : await descriptors(username),
        userVerification: username === undefined ? 'required' : settings.userVerification,
      });
    },

    async verifyAuthentication(input) {
      const result = await verifyWebAuthnAuthentication(verifyDeps, input);
      if (!result.ok) deps.logger.debug({ username: input.username, reason: result.reason }, 'webauthn: sign-in refused');
      return result;
    },

    async listCredentials(username) {
      return (await credentials.listForUser(username)).map(toView);
    },

    async renameCredential(username, id, name) {
      const normalized = normalizeCredentialName(name);
      if (normalized === undefined) return { ok: false, reason: 'invalid-name' };
      if (!(await ownCredential(username, id))) return { ok: false, reason: 'not-found' };
      return (await credentials.rename(id, normalized)) ? { ok: true } : { ok: false, reason: 'not-found' };
    },

    async removeCredential(username, id) {
      if (!(await ownCredential(username, id))) return false;
      return credentials.remove(id);
    },
  };
}
