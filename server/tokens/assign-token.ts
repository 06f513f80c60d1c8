import { resolveUser, type Directory } from '../directory/directory.js';
import type { OtpDevice, OtpDeviceStore } from '../storage/storage.js';

export type AssignResult = { ok: true; username: string; already: boolean } | { ok: false; reason: 'unknown-user' | 'unknown-token' | 'assigned-to-other'; owner?: string };

/**
 * Gives an unassigned hardware token to a user the directory knows (a disabled user counts
 * as unknown). A token belongs to at most one user: one that is someone else's must be
 * unassigned first. Assigning it again to its owner changes nothing and succeeds.
 */
export async function assignToken(deps: { store: OtpDeviceStore; directory: Pick<Directory, 'findUser' | 'lookupUser'> }, serial: string, username: string): Promise<AssignResult> {
  const user = await resolveUser(deps.directory, username);
  if (!user) return { ok: false, reason: 'unknown-user' };
  const token = await deps.store.findBySerial(serial);
  if (!token) return { ok: false, reason: 'unknown-token' };
  if (token.username === user.username) return { ok: true, username: user.username, already: true };
  if (token.username !== null) return { ok: false, reason: 'assigned-to-other', owner: token.username };
  if (await deps.store.assign(serial, user.username)) return { ok: true, username: user.username, already: false };
  // Lost a race: someone assigned it between the read and the write.
  const now = await deps.store.findBySerial(serial);
  return now ? { ok: false, reason: 'assigned-to-other', ...(now.username ? { owner: now.username } : {}) } : { ok: false, reason: 'unknown-token' };
}

export type UnassignResult = { ok: true; previousOwner: string | null } | { ok: false; reason: 'unknown-token' };

/** Takes a token back from its user; the token stays imported. Unassigning an unassigned token succeeds. */
export async function unassignToken(store: OtpDeviceStore, serial: string): Promise<UnassignResult> {
  const token = await store.findBySerial(serial);
  if (!token) return { ok: false, reason: 'unknown-token' };
  const owner = token.username;
  if (owner === null) return { ok: true, previousOwner: null };
  await store.unassign(serial);
  return { ok: true, previousOwner: owner };
}

/** What an administrator may see of a token: never its secret. */
export interface TokenSummary {
  serial: string;
  kind: OtpDevice['kind'];
  digits: 6 | 8;
  period: number;
  username: string | null;
  lastUsedAt: number | null;
}

export async function listTokenSummaries(store: OtpDeviceStore): Promise<TokenSummary[]> {
  const tokens = await store.listTokens();
  return tokens
    .filter((t): t is OtpDevice & { serial: string } => t.serial !== null)
    .map((t) => ({ serial: t.serial, kind: t.kind, digits: t.digits, period: t.period, username: t.username, lastUsedAt: t.lastUsedAt }))
    .sort((a, b) => a.serial.localeCompare(b.serial, 'en', { numeric: true }));
}
