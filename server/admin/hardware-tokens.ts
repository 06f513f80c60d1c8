import { assignToken, unassignToken } from '../tokens/assign-token.js';
import type { Actor, AdminDeps, UnknownUser } from './admin-deps.js';
import { recordAdminAction, UNKNOWN_USER } from './admin-deps.js';

type UnknownToken = { ok: false; reason: 'unknown_token' };
const UNKNOWN_TOKEN: UnknownToken = Object.freeze({ ok: false, reason: 'unknown_token' });
const MAX_SERIAL = 64;

const isSerial = (serial: unknown): serial is string => typeof serial === 'string' && serial.length > 0 && serial.length <= MAX_SERIAL;

/** Gives an imported, unassigned hardware token to an active user (the same rules as `gatehouse tokens assign`). */
export async function assignHardwareToken(
  deps: AdminDeps,
  actor: Actor,
  serial: string,
  username: string,
): Promise<{ ok: true; username: string; already: boolean } | UnknownUser | UnknownToken | { ok: false; reason: 'assigned_to_other' }> {
  if (!isSerial(serial)) return UNKNOWN_TOKEN;
  const result = await assignToken({ store: deps.storage.otpDevices, directory: deps.directory }, serial, username);
  if (!result.ok) {
    if (result.reason === 'unknown-user') return UNKNOWN_USER;
    if (result.reason === 'unknown-token') return UNKNOWN_TOKEN;
    // The owner's name stays out of the answer: the administrator can look the token up.
    return { ok: false, reason: 'assigned_to_other' };
  }
  await recordAdminAction(deps, actor, { kind: 'admin.token_assign', subject: result.username, details: { serial, status: result.already ? 'already_assigned' : 'assigned' } });
  return { ok: true, username: result.username, already: result.already };
}

/** Takes a token back from its user; it stays imported for someone else. */
export async function unassignHardwareToken(deps: AdminDeps, actor: Actor, serial: string): Promise<{ ok: true; previousOwner: string | null } | UnknownToken> {
  if (!isSerial(serial)) return UNKNOWN_TOKEN;
  const result = await unassignToken(deps.storage.otpDevices, serial);
  if (!result.ok) return UNKNOWN_TOKEN;
  await recordAdminAction(deps, actor, {
    kind: 'admin.token_unassign',
    subject: result.previousOwner ?? undefined,
    details: { serial, status: result.previousOwner === null ? 'not_assigned' : 'unassigned' },
  });
  return { ok: true, previousOwner: result.previousOwner };
}
