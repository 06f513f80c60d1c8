import { createHash, randomBytes } from 'node:crypto';
import type { Kv } from '../../kv/kv.js';

export type Ceremony = 'registration' | 'authentication';

/** What the server asked for, kept until the answer comes back (or the TTL ends). */
export interface PendingChallenge {
  challenge: string;
  /** Who the challenge was issued for; null for a username-less (passkey) sign-in. */
  username: string | null;
  /** Registration: the user handle given to the authenticator, so a reset in between is noticed. */
  userHandle: string | null;
  expiresAt: number;
}

/** 32 random bytes: twice the spec's 16-byte minimum. */
const CHALLENGE_BYTES = 32;
const MAX_BINDING = 512;

/**
 * One outstanding challenge per binding (the caller's per-session value) and ceremony: asking
 * again replaces it. The binding is hashed into the key, so a session secret passed as the
 * binding never appears in Redis, and a challenge is found only by the session it was made for.
 */
function challengeKey(ceremony: Ceremony, binding: string): string {
  if (typeof binding !== 'string' || binding.length === 0 || binding.length > MAX_BINDING) {
    throw new TypeError(`a WebAuthn challenge binding must be a non-empty string of at most ${MAX_BINDING} characters`);
  }
  return `webauthn:${ceremony}:${createHash('sha256').update(binding).digest('base64url')}`;
}

export async function issueChallenge(
  kv: Kv,
  input: { ceremony: Ceremony; binding: string; username: string | null; userHandle?: string; ttlSeconds: number; now: number },
): Promise<PendingChallenge> {
  const pending: PendingChallenge = {
    challenge: randomBytes(CHALLENGE_BYTES).toString('base64url'),
    username: input.username,
    userHandle: input.userHandle ?? null,
    expiresAt: input.now + input.ttlSeconds * 1000,
  };
  await kv.set(challengeKey(input.ceremony, input.binding), JSON.stringify(pending), input.ttlSeconds);
  return pending;
}

/**
 * Takes (GETDEL) the binding's challenge: whatever happens next, it cannot be used again.
 * The expiry is checked against the caller's clock as well as the store's TTL, so time is a
 * parameter here like everywhere else.
 */
export async function takeChallenge(kv: Kv, input: { ceremony: Ceremony; binding: string; now: number }): Promise<PendingChallenge | undefined> {
  const raw = await kv.take(challengeKey(input.ceremony, input.binding), { replicated: true });
  if (raw === null) return undefined;
  let pending: PendingChallenge;
  try {
    pending = JSON.parse(raw) as PendingChallenge;
  } catch {
    return undefined;
  }
  if (typeof pending?.challenge !== 'string' || typeof pending.expiresAt !== 'number' || input.now >= pending.expiresAt) return undefined;
  return pending;
}
