import type { PublicKeyCredentialRequestOptionsJSON, WebAuthnService } from '../factors/webauthn/webauthn-service.js';
import type { Regulator } from '../regulation/regulator.js';

export interface ChallengeDeps {
  regulator: Pick<Regulator, 'check'>;
  /** The shared store's counter (Kv.increment): sign-in does not reach into the store otherwise. */
  kv: { increment(key: string, ttlSeconds: number): Promise<number> };
  webauthn: Pick<WebAuthnService, 'authenticationOptions'>;
  now: () => number;
  /** Passkey sign-in challenges per client address within `windowSeconds` (the challenge's lifetime). */
  maxPerAddress: number;
  windowSeconds: number;
}

export type ChallengeResult = { ok: true; options: PublicKeyCredentialRequestOptionsJSON } | { ok: false; reason: 'throttled' };

/**
 * WebAuthn sign-in options: a challenge for the signed-in user's second factor, or (without a
 * username) for a passkey sign-in. Issuing one verifies nothing, so regulation is asked with
 * `check`, as before sending a code or a push (only a verification is `admit`ted): a banned
 * address, a locked account or one whose passkey attempts are banned gets no challenge, and the
 * one answer "throttled" for all, so it tells nobody which it was.
 *
 * A second factor's challenge is one per session, replaced when asked again. Before sign-in it is
 * one per browser — and a client can make up browsers (CSRF cookies) at will — so each address may
 * ask for at most `maxPerAddress` within a challenge's lifetime: what it can write to Redis stays
 * bounded (one counter per address, in a fixed window).
 */
export async function issueWebAuthnChallenge(deps: ChallengeDeps, input: { username?: string; binding: string; clientIp: string }): Promise<ChallengeResult> {
  const verdict = await deps.regulator.check({ ...(input.username === undefined ? {} : { username: input.username }), kind: 'webauthn', ip: input.clientIp });
  if (!verdict.ok) return { ok: false, reason: 'throttled' };
  if (input.username === undefined && (await deps.kv.increment(`webauthn:sign-in-challenges:${input.clientIp}`, deps.windowSeconds)) > deps.maxPerAddress) {
    return { ok: false, reason: 'throttled' };
  }
  return { ok: true, options: await deps.webauthn.authenticationOptions({ username: input.username, binding: input.binding, now: deps.now() }) };
}
