import type { Config } from '../config/schema.js';
import { type ResyncResult, resyncOtpDevice } from '../factors/otp/resync-device.js';
import { assignToken, listTokenSummaries, type TokenSummary, unassignToken } from '../tokens/assign-token.js';
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

export interface TokenListQuery {
  /** Part of a serial or of the assigned user's name, any letter case. */
  search: string;
  unassignedOnly: boolean;
  offset: number;
  limit: number;
}

/**
 * One page of the hardware-token inventory, in serial order. Filtered in memory: an inventory
 * is a few thousand tokens at most (an import holds at most MAX_TOKENS_PER_FILE).
 */
export async function listHardwareTokens(deps: Pick<AdminDeps, 'storage'>, query: TokenListQuery): Promise<{ tokens: TokenSummary[]; total: number }> {
  const needle = query.search.trim().toLowerCase();
  const matching = (await listTokenSummaries(deps.storage.otpDevices)).filter(
    (t) => (!query.unassignedOnly || t.username === null) && (needle === '' || t.serial.toLowerCase().includes(needle) || (t.username ?? '').toLowerCase().includes(needle)),
  );
  return { tokens: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
}

/** One token's summary, or unknown_token. */
export async function getHardwareToken(deps: Pick<AdminDeps, 'storage'>, serial: string): Promise<{ ok: true; token: TokenSummary } | UnknownToken> {
  if (!isSerial(serial)) return UNKNOWN_TOKEN;
  const device = await deps.storage.otpDevices.findBySerial(serial);
  if (!device || device.serial === null) return UNKNOWN_TOKEN;
  const { kind, digits, period, username, lastUsedAt } = device;
  return { ok: true, token: { serial: device.serial, kind, digits, period, username, lastUsedAt } };
}

/** Puts a token back in step from two consecutive codes (the same search as `gatehouse tokens resync`). */
export async function resyncHardwareToken(
  deps: AdminDeps,
  actor: Actor,
  serial: string,
  codes: { code1: unknown; code2: unknown },
  secondFactors: Config['second_factors'],
): Promise<Exclude<ResyncResult, { ok: false }> | { ok: false; reason: Extract<ResyncResult, { ok: false }>['reason'] } | UnknownToken> {
  if (!isSerial(serial)) return UNKNOWN_TOKEN;
  const device = await deps.storage.otpDevices.findBySerial(serial);
  if (!device) return UNKNOWN_TOKEN;
  const result = await resyncOtpDevice(deps.storage, { device, ...codes, config: secondFactors, now: deps.clock.now() });
  if (!result.ok) return result;
  // The codes stay out of the event: with the serial they would help nobody but a guesser.
  await recordAdminAction(deps, actor, { kind: 'admin.token_resync', subject: device.username ?? undefined, details: { serial, kind: device.kind, status: 'resynced' } });
  return result;
}
