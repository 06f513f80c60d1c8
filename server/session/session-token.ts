import { createHash } from 'node:crypto';
import { hashToken, randomToken } from '../core/random.js';

/** 32 random bytes, base64url without padding: always exactly 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomToken(32);
}

/** True only for the exact shape we issue. The string is hashed as it is, so no decoding is needed. */
export function isSessionToken(value: string): boolean {
  return TOKEN.test(value);
}

/** What the store keeps instead of the token: whoever reads the store cannot sign in with it. */
export function sessionHash(token: string): string {
  return hashToken(token);
}

/**
 * A short, non-secret handle for one session, safe to show in a device list or a log. Hex, so
 * an id never starts with "-" (a command line would read it as an option).
 */
export function sessionIdOf(hash: string): string {
  return createHash('sha256').update(`session-id:${hash}`).digest('hex').slice(0, 16);
}
