import { createHash, randomBytes } from 'node:crypto';

/** A random token for cookies and single-use links: `bytes` of entropy, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Stable digest of a secret token, so stores never hold the usable value. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
