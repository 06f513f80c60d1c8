import type { Actor, AdminDeps, UnknownUser } from './admin-deps.js';
import { lookupUser, recordAdminAction, UNKNOWN_USER } from './admin-deps.js';

/**
 * What an administrator does to an account as a whole. Each known-user action leaves exactly
 * one admin.* audit event; an unknown user is a value, not an event.
 */

/** Ends a lock (the regulator clears the account's counters too). `wasLocked` false: nothing to end. */
export async function unlockUser(deps: AdminDeps, actor: Actor, name: string): Promise<{ ok: true; username: string; wasLocked: boolean } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const wasLocked = await deps.regulator.unlock(user.username, { actor: actor.name });
  await recordAdminAction(deps, actor, { kind: 'admin.unlock', subject: user.username, details: { status: wasLocked ? 'unlocked' : 'not_locked' } });
  return { ok: true, username: user.username, wasLocked };
}

/**
 * The "re-setup": every second factor goes (hardware tokens are unassigned, not deleted), and
 * so does every session, since each was signed in with a factor that no longer counts.
 */
export async function resetFactors(deps: AdminDeps, actor: Actor, name: string): Promise<{ ok: true; username: string; sessionsEnded: number } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  await deps.storage.userState.resetUser(user.username);
  const sessionsEnded = await deps.sessions.destroyAllForUser(user.username);
  await recordAdminAction(deps, actor, { kind: 'admin.reset_factors', subject: user.username, details: { sessions: sessionsEnded } });
  return { ok: true, username: user.username, sessionsEnded };
}

const MAX_REASON = 200;

/**
 * Disables the account in Gatehouse (sign-in refuses it) and ends all its sessions; the
 * session store tells every instance at once. Disabling twice keeps the first time and actor.
 */
export async function disableUser(
  deps: AdminDeps,
  actor: Actor,
  name: string,
  options: { reason?: string | null } = {},
): Promise<{ ok: true; username: string; sessionsEnded: number } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const reason = options.reason?.trim().slice(0, MAX_REASON) || null;
  // State first: a sign-in racing the revocation is then refused instead of outliving it.
  await deps.storage.accountStates.disable(user.username, { actor: actor.name, reason, now: deps.clock.now() });
  const sessionsEnded = await deps.sessions.destroyAllForUser(user.username);
  await recordAdminAction(deps, actor, { kind: 'admin.disable', subject: user.username, reason: reason ?? undefined, details: { sessions: sessionsEnded } });
  return { ok: true, username: user.username, sessionsEnded };
}

/** Lifts a Gatehouse disabling; `wasDisabled` false: it was not disabled here (the users file may still disable it). */
export async function enableUser(deps: AdminDeps, actor: Actor, name: string): Promise<{ ok: true; username: string; wasDisabled: boolean } | UnknownUser> {
  const user = await lookupUser(deps.directory, name);
  if (!user) return UNKNOWN_USER;
  const wasDisabled = await deps.storage.accountStates.enable(user.username);
  await recordAdminAction(deps, actor, { kind: 'admin.enable', subject: user.username, details: { status: wasDisabled ? 'enabled' : 'not_disabled' } });
  return { ok: true, username: user.username, wasDisabled };
}
