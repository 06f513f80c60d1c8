import type { DirectoryEntry } from '../directory/directory.js';
import type { AdminDeps, UnknownUser } from './admin-deps.js';
import { lookupUser, UNKNOWN_USER } from './admin-deps.js';

/** Counts of a user's enrolled second factors, by kind; pending (unconfirmed) ones do not count. */
export interface FactorCounts {
  totp: number;
  /** OATH hardware tokens (HOTP or TOTP with a serial). */
  hardware_token: number;
  webauthn: number;
  push: number;
  /** Unused recovery codes. */
  recovery_codes: number;
}

export interface AdminUserView {
  username: string;
  displayName: string;
  email: string;
  groups: string[];
  /** Disabled in the users file, or in Gatehouse by an administrator (with who, when, why). */
  disabled: { directory: boolean; gatehouse: { at: number; by: string; reason: string | null } | null };
  lock: { locked: boolean; until: number | null; reason: string | null };
  factors: FactorCounts;
  /** Time of the last successful sign-in in the audit log, or null. */
  lastSignInAt: number | null;
}

const MAX_SEARCH = 100;

/** Every user the directory lists, filtered by a case-insensitive search in name, display name and email. */
export async function listUsers(deps: AdminDeps, options: { search?: string } = {}): Promise<AdminUserView[]> {
  const matching = matchingUsers(deps, options.search);
  const users: AdminUserView[] = [];
  // In slices: each user costs a few storage reads, and a directory may hold thousands.
  for (let i = 0; i < matching.length; i += PAGE_MAX) users.push(...(await Promise.all(matching.slice(i, i + PAGE_MAX).map((entry) => describeUser(deps, entry)))));
  return users;
}

export const PAGE_MAX = 200;

/** One page of listUsers, in username order, with how many match in all: what the admin API serves. */
export async function listUsersPage(deps: AdminDeps, options: { search?: string; offset: number; limit: number }): Promise<{ users: AdminUserView[]; total: number }> {
  const matching = matchingUsers(deps, options.search);
  const limit = Math.min(Math.max(1, options.limit), PAGE_MAX);
  const page = matching.slice(Math.max(0, options.offset), Math.max(0, options.offset) + limit);
  return { users: await Promise.all(page.map((entry) => describeUser(deps, entry))), total: matching.length };
}

function matchingUsers(deps: AdminDeps, search: string | undefined): DirectoryEntry[] {
  const needle = (search ?? '').trim().toLowerCase().slice(0, MAX_SEARCH);
  const entries = deps.directory.listUsers?.() ?? [];
  return entries.filter((u) => !needle || [u.username, u.displayName, u.email].some((field) => field.toLowerCase().includes(needle)));
}

export async function getUser(deps: AdminDeps, name: string): Promise<{ ok: true; user: AdminUserView } | UnknownUser> {
  const entry = await lookupUser(deps.directory, name);
  if (!entry) return UNKNOWN_USER;
  return { ok: true, user: await describeUser(deps, entry) };
}

async function describeUser(deps: AdminDeps, entry: DirectoryEntry): Promise<AdminUserView> {
  const { storage } = deps;
  const name = entry.username;
  const [state, lock, otp, credentials, phones, codes, lastSignIn] = await Promise.all([
    storage.accountStates.get(name),
    deps.regulator.lockState(name),
    storage.otpDevices.listForUser(name),
    storage.webauthnCredentials.listForUser(name),
    storage.pushDevices.listForUser(name),
    storage.recoveryCodes.listForUser(name),
    storage.auditEvents.query({ subject: name, kind: 'sign_in.success', limit: 1 }),
  ]);
  const confirmed = otp.filter((d) => d.confirmed);
  return {
    username: name,
    displayName: entry.displayName,
    email: entry.email,
    groups: [...entry.groups],
    disabled: { directory: entry.disabled, gatehouse: state ? { at: state.disabledAt, by: state.disabledBy, reason: state.reason } : null },
    lock: { locked: lock.locked, until: lock.until, reason: lock.reason },
    factors: {
      // A phone's offline-code seed is part of its push device, not a TOTP app of its own.
      totp: confirmed.filter((d) => d.serial === null && !phones.some((p) => p.otpDeviceId === d.id)).length,
      hardware_token: confirmed.filter((d) => d.serial !== null).length,
      webauthn: credentials.length,
      push: phones.length,
      recovery_codes: codes.filter((c) => c.usedAt === null).length,
    },
    lastSignInAt: lastSignIn[0]?.at ?? null,
  };
}
