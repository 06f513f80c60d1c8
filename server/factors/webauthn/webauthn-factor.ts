import type { Factor, FactorDevice, VerifyFailure, VerifyResult } from '../factor.js';
import type { AuthenticationFailure } from './verify-authentication.js';
import type { WebAuthnService } from './webauthn-service.js';

/** A FactorDevice that also names the authenticator model, when the allow-list knows it. */
export interface WebAuthnFactorDevice extends FactorDevice {
  model: string | null;
}

/**
 * How the detailed reasons read through the shared Factor contract. Spent, foreign and
 * repeated challenges and a counter that went backwards count as replays; everything that
 * is simply not a valid assertion for this user is an invalid answer.
 */
const FACTOR_REASON: Record<AuthenticationFailure, VerifyFailure> = {
  'too-large': 'malformed',
  malformed: 'malformed',
  'wrong-type': 'malformed',
  'challenge-expired': 'replayed',
  'challenge-mismatch': 'replayed',
  'counter-regression': 'replayed',
  'concurrent-use': 'replayed',
  'wrong-origin': 'invalid-code',
  'unknown-credential': 'invalid-code',
  'wrong-user': 'invalid-code',
  'user-handle-mismatch': 'invalid-code',
  'wrong-rp-id': 'invalid-code',
  'user-presence-required': 'invalid-code',
  'user-verification-required': 'invalid-code',
  'backup-flags': 'invalid-code',
  'synced-not-allowed': 'invalid-code',
  'aaguid-not-allowed': 'invalid-code',
  'verification-failed': 'invalid-code',
};

/**
 * WebAuthn as the second step after a password. The browser picks among all of the user's
 * credentials (allowCredentials lists them), so `deviceId` is not used. `binding` must be the
 * value `authenticationOptions` was called with for this session: the challenge is taken for it
 * alone, once. The authenticator's UV flag comes back as `userVerified`, for the session to
 * record exactly what happened; the detailed reason of a refusal comes back as `detail`.
 */
export function createWebAuthnFactor(service: WebAuthnService): Factor {
  return {
    kind: 'webauthn',
    async listDevices(username): Promise<WebAuthnFactorDevice[]> {
      return (await service.listCredentials(username)).map((c) => ({
        id: c.id,
        kind: 'webauthn',
        name: c.name,
        model: c.model,
        createdAt: c.createdAt,
        lastUsedAt: c.lastUsedAt,
      }));
    },
    async verify({ username, response, now, binding }): Promise<VerifyResult> {
      if (binding === undefined) return { ok: false, reason: 'malformed' };
      if ((await service.listCredentials(username)).length === 0) return { ok: false, reason: 'no-device' };
      const result = await service.verifyAuthentication({ username, binding, response, now });
      if (!result.ok) return { ok: false, reason: FACTOR_REASON[result.reason], detail: result.reason };
      const c = result.credential;
      return { ok: true, device: { id: c.id, kind: 'webauthn', name: c.name, createdAt: c.createdAt, lastUsedAt: c.lastUsedAt }, userVerified: result.userVerified };
    },
    remove(username, deviceId) {
      return service.removeCredential(username, deviceId);
    },
  };
}
