import { createHash, randomInt } from 'node:crypto';
import type { EnrollmentMethod, Storage } from '../storage/storage.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 10; // 50 bits: typed from an email or read out by the IT desk

export type RedeemResult = { ok: true } | { ok: false; reason: 'expired_or_used' | 'invalid' };

function canonicalCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const text = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (text.length !== CODE_LENGTH || [...text].some((c) => !ALPHABET.includes(c))) return undefined;
  return text;
}

function hashCode(canonical: string): string {
  return createHash('sha256').update(`gatehouse-enrollment:${canonical}`).digest('base64url');
}

/**
 * Issues a single-use enrollment code for `username`: sent by email (method "email") or
 * handed out by an administrator (method "admin"). Only its hash is stored.
 */
export async function issueEnrollmentCode(
  storage: Storage,
  input: { username: string; method: EnrollmentMethod; ttlSeconds: number; issuedBy: string; now: number },
): Promise<{ code: string; expiresAt: number }> {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const expiresAt = input.now + input.ttlSeconds * 1000;
  // Issuing is rare: a fine moment to drop codes that can no longer be used.
  await storage.enrollmentCodes.purgeExpired(input.now);
  await storage.enrollmentCodes.create({
    username: input.username,
    method: input.method,
    codeHash: hashCode(raw),
    createdAt: input.now,
    expiresAt,
    issuedBy: input.issuedBy,
  });
  return { code: `${raw.slice(0, 5)}-${raw.slice(5)}`, expiresAt };
}

/**
 * Redeems a code for the signed-in user. A code of another user is "invalid", exactly like a
 * code that never existed, so codes reveal nothing about other accounts.
 */
export async function redeemEnrollmentCode(storage: Storage, input: { username: string; code: unknown; now: number }): Promise<RedeemResult> {
  const canonical = canonicalCode(input.code);
  if (!canonical) return { ok: false, reason: 'invalid' };
  const found = await storage.enrollmentCodes.findByHash(hashCode(canonical));
  if (!found || found.username !== input.username) return { ok: false, reason: 'invalid' };
  if (found.usedAt !== null || found.expiresAt <= input.now) return { ok: false, reason: 'expired_or_used' };
  return (await storage.enrollmentCodes.redeem(found.id, input.now)) ? { ok: true } : { ok: false, reason: 'expired_or_used' };
}
