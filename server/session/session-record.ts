import { z } from 'zod';
import type { Session } from './session.js';

const time = z.number().int().nonnegative();

/**
 * The stored form is our own JSON, but it crosses a network and outlives deployments: a
 * record that does not have the shape we rely on is treated as no session at all.
 * Unknown fields pass through, so an older instance keeps what a newer one added.
 */
const sessionRecord = z.looseObject({
  user: z.looseObject({
    username: z.string().min(1),
    displayName: z.string(),
    email: z.string(),
    groups: z.array(z.string()),
  }),
  factors: z.array(z.looseObject({ kind: z.string().min(1), at: time, device: z.string().optional() })).min(1),
  createdAt: time,
  lastActiveAt: time,
  expiresAt: time,
  idleSeconds: z.number().positive(),
  rememberMe: z.boolean(),
  csrf: z.string().min(16),
});

export function parseSessionRecord(text: string): Session | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = sessionRecord.safeParse(raw);
  return parsed.success ? (parsed.data as Session) : null;
}

export function serializeSessionRecord(session: Session): string {
  return JSON.stringify(session);
}

/** Why a session no longer counts at `now`, or null while it does. */
export function sessionExpiry(session: Session, now: number): 'absolute' | 'idle' | null {
  if (now >= session.expiresAt) return 'absolute';
  if (now >= session.lastActiveAt + session.idleSeconds * 1000) return 'idle';
  return null;
}

/** Seconds the stored record should live from `now`: the idle window, cut at the absolute end. */
export function recordTtlSeconds(session: Session, now: number): number {
  return Math.min(session.idleSeconds, (session.expiresAt - now) / 1000);
}
