import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Storage } from '../../storage/storage.js';
import type { Factor, FactorDevice, VerifyResult } from '../factor.js';

/** Crockford's base32 alphabet: no I, L, O or U, so codes read back without confusion. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 12; // 60 bits each
const MAX_INPUT = 64;

/** Makes `count` fresh codes, shown once as `XXXX-XXXX-XXXX`. */
export function generateRecoveryCodes(count: number): string[] {
  return Array.from({ length: count }, () => {
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
  });
}

/**
 * The form a code is compared in: upper case, separators dropped, and the letters people
 * misread mapped as Crockford defines (O→0, I/L→1). Undefined when it cannot be a code.
 */
export function canonicalRecoveryCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT) return undefined;
  const text = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (text.length !== CODE_LENGTH) return undefined;
  for (const c of text) if (!ALPHABET.includes(c)) return undefined;
  return text;
}

/** Codes carry 60 random bits: a plain SHA-256 is enough to keep the stored form useless. */
export function hashRecoveryCode(canonical: string): string {
  return createHash('sha256').update(`gatehouse-recovery:${canonical}`).digest('base64url');
}

/** Replaces the user's codes with a new set and returns them, to be shown once. */
export async function regenerateRecoveryCodes(storage: Storage, username: string, count: number, now: number): Promise<string[]> {
  const codes = generateRecoveryCodes(count);
  await storage.recoveryCodes.replaceSet(
    username,
    codes.map((c) => hashRecoveryCode(canonicalRecoveryCode(c)!)),
    now,
  );
  return codes;
}

const DEVICE: Omit<FactorDevice, 'createdAt' | 'lastUsedAt'> = { id: 'recovery', kind: 'recovery_code', name: 'Recovery code' };

/** Recovery codes as a second factor: each code works once, and using one is audited by the caller. */
export function createRecoveryCodeFactor(deps: { storage: Storage }): Factor {
  return {
    kind: 'recovery_code',
    async listDevices(username) {
      const codes = await deps.storage.recoveryCodes.listForUser(username);
      const unused = codes.filter((c) => c.usedAt === null);
      if (unused.length === 0) return [];
      const lastUsedAt = Math.max(0, ...codes.map((c) => c.usedAt ?? 0)) || null;
      return [{ ...DEVICE, createdAt: Math.min(...codes.map((c) => c.createdAt)), lastUsedAt }];
    },
    async verify({ username, response, now }): Promise<VerifyResult> {
      const canonical = canonicalRecoveryCode(response);
      if (!canonical) return { ok: false, reason: 'malformed' };
      const wanted = Buffer.from(hashRecoveryCode(canonical));
      const codes = await deps.storage.recoveryCodes.listForUser(username);
      // Compare against every code, used ones too, so timing does not tell which exist.
      let match: (typeof codes)[number] | undefined;
      for (const code of codes) {
        const stored = Buffer.from(code.codeHash);
        if (stored.length === wanted.length && timingSafeEqual(stored, wanted)) match = code;
      }
      if (!match) return { ok: false, reason: 'invalid-code' };
      if (match.usedAt !== null || !(await deps.storage.recoveryCodes.markUsed(match.id, now))) return { ok: false, reason: 'replayed' };
      return { ok: true, device: { ...DEVICE, createdAt: match.createdAt, lastUsedAt: now } };
    },
    async remove() {
      return false; // a set is replaced by regenerating, never removed code by code
    },
  };
}
