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

/** Longest search the console and the API take: a name, a display name or an email is shorter. */
export const MAX_SEARCH = 100;

/** What the users list may be narrowed to, beside the search; all given ones must hold. */
export interface UserFilters {
  locked?: boolean;
  /** Disabled in the users file or in Gatehouse. */
  disabled?: boolean;
  /** No authenticator app, hardware token, passkey or phone (recovery codes alone do not count). */
  noSecondFactor?: boolean;
  /** No successful sign-in in the audit log for this many days (never signed in included). */
  inactiveDays?: number;
}

/** Every user the directory lists, filtered by a case-insensitive search in name, display name and email. */
export async function listUsers(deps: AdminDeps, options: { search?: string } = {}): Promise<AdminUserView[]> {
  return describeAll(deps, await matchingUsers(deps, options.search));
}

async function describeAll(deps: AdminDeps, entries: DirectoryEntry[]): Promise<AdminUserView[]> {
  const users: AdminUserView[] = [];
  // In slices: each user costs a few storage reads, and a directory may hold thousands.
  for (let i = 0; i < entries.length; i += PAGE_MAX) users.push(...(await Promise.all(entries.slice(i, i + PAGE_MAX).map((entry) => describeUser(deps, entry)))));
  return users;
}

export const PAGE_MAX = 200;

/**
 * One page of listUsers, in username order, with how many match in all: what the admin API and
 * the console serve. Without filters only the page's users are described; a filter needs every
 * matching user's state, so it describes them all (in slices) before paging.
 */
export async function listUsersPage(
  deps: AdminDeps,
  options: { search?: string; offset: number; limit: number; filters?: UserFilters },
): Promise<{ users: AdminUserView[]; total: number }> {
  const matching = await matchingUsers(deps, options.search);
  const limit = Math.min(Math.max(1, options.limit), PAGE_MAX);
  const offset = Math.max(0, options.offset);
  const filters = options.filters ?? {};
  if (!hasFilters(filters)) {
    const page = matching.slice(offset, offset + limit);
    return { users: await Promise.all(page.map((entry) => describeUser(deps, entry))), total: matching.length };
  }
  const now = deps.clock.now();
  const kept = (await describeAll(deps, matching)).filter((user) => matchesFilters(user, filters, now));
  return { users: kept.slice(offset, offset + limit), total: kept.length };
}

function hasFilters(filters: UserFilters): boolean {
  return Boolean(filters.locked || filters.disabled || filters.noSecondFactor || filters.inactiveDays !== undefined);
}

function matchesFilters(user: AdminUserView, filters: UserFilters, now: number): boolean {
  if (filters.locked && !user.lock.locked) return false;
  if (filters.disabled && !(user.disabled.directory || user.disabled.gatehouse)) return false;
  if (filters.noSecondFactor && hasSecondFactor(user.factors)) return false;
  if (filters.inactiveDays !== undefined && user.lastSignInAt !== null && user.lastSignInAt >= now - filters.inactiveDays * 86_400_000) return false;
  return true;
}

export function hasSecondFactor(factors: FactorCounts): boolean {
  return factors.totp + factors.hardware_token + factors.webauthn + factors.push > 0;
}

/**
 * Users whose name, display name or email contains the search, ignoring case: every user the
 * directory lists (the users file), and, for a directory that cannot be listed (LDAP), the one
 * user whose name is exactly the search, asked of its server. The search is plain text: `%`, `_`
 * and quotes are characters like any other (nothing here builds a query from it).
 */
async function matchingUsers(deps: AdminDeps, search: string | undefined): Promise<DirectoryEntry[]> {
  const needle = (search ?? '').trim().toLowerCase().slice(0, MAX_SEARCH);
  const entries = deps.directory.listUsers?.() ?? [];
  const found = entries.filter((u) => !needle || [u.username, u.displayName, u.email].some((field) => field.toLowerCase().includes(needle)));
  if (!needle || !deps.directory.lookupUser || found.some((u) => u.username === needle)) return found;
  const exact = await lookupUser(deps.directory, needle);
  if (!exact || found.some((u) => u.username === exact.username)) return found;
  return [...found, exact].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
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
