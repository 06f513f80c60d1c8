import { driftSeconds } from '../factors/otp/totp-drift.js';
import type { AuditEvent } from '../storage/storage.js';
import type { AdminDeps, UnknownUser } from './admin-deps.js';
import { lookupUser, UNKNOWN_USER } from './admin-deps.js';

/** One second factor as an administrator sees it: never a secret or a public key. */
export interface AdminFactorView {
  id: string;
  kind: 'totp' | 'hotp' | 'hardware_token' | 'webauthn' | 'push';
  name: string;
  /** Hardware tokens. */
  serial: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  /** Authenticator apps and tokens: the clock drift learned (seconds, positive = ahead); phones: their clock offset. */
  driftSeconds: number | null;
}

/**
 * The user's confirmed second factors, each with its kind, name, dates and clock drift: apps and
 * hardware tokens, passkeys and security keys, phones (whose offline-code seed is part of the phone,
 * not an app of its own). Unused recovery codes are counted, never listed.
 */
export async function listUserFactors(
  deps: AdminDeps,
  name: string,
): Promise<{ ok: true; username: string; factors: AdminFactorView[]; recoveryCodes: { unused: number; total: number } } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const [otp, credentials, phones, codes] = await Promise.all([
    deps.storage.otpDevices.listForUser(user.username),
    deps.storage.webauthnCredentials.listForUser(user.username),
    deps.storage.pushDevices.listForUser(user.username),
    deps.storage.recoveryCodes.listForUser(user.username),
  ]);
  const phoneSeeds = new Set(phones.map((p) => p.otpDeviceId));
  const factors: AdminFactorView[] = [
    ...otp
      .filter((d) => d.confirmed && !phoneSeeds.has(d.id))
      .map((d) => ({
        id: d.id,
        kind: d.serial !== null ? ('hardware_token' as const) : d.kind,
        name: d.name,
        serial: d.serial,
        createdAt: d.createdAt,
        lastUsedAt: d.lastUsedAt,
        driftSeconds: d.kind === 'totp' && d.driftSteps !== 0 ? driftSeconds(d.driftSteps, d.period) : null,
      })),
    ...credentials.map((c) => ({ id: c.id, kind: 'webauthn' as const, name: c.name, serial: null, createdAt: c.createdAt, lastUsedAt: c.lastUsedAt, driftSeconds: null })),
    ...phones.map((p) => ({
      id: p.id,
      kind: 'push' as const,
      name: p.name,
      serial: null,
      createdAt: p.createdAt,
      lastUsedAt: p.lastUsedAt,
      driftSeconds: p.clockOffsetMs === 0 ? null : Math.round(p.clockOffsetMs / 1000),
    })),
  ].sort((a, b) => a.createdAt - b.createdAt);
  return { ok: true, username: user.username, factors, recoveryCodes: { unused: codes.filter((c) => c.usedAt === null).length, total: codes.length } };
}

export const USER_AUDIT_LIMIT = 50;

/** The latest audit events about the user (as subject), newest first: their trail on their own page. */
export async function listUserAuditTrail(deps: AdminDeps, name: string, limit = USER_AUDIT_LIMIT): Promise<{ ok: true; username: string; events: AuditEvent[] } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  return { ok: true, username: user.username, events: await deps.storage.auditEvents.query({ subject: user.username, limit: Math.min(Math.max(1, limit), 500) }) };
}
