import { hash, randomBytes } from 'node:crypto';

/** A random token for cookies and single-use links: `bytes` of entropy, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Stable digest of a secret token, so stores never hold the usable value. One-shot
 * `crypto.hash` (Node ≥ 20.12): it runs on every proxied request, and skips the Hash object.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}
