import { randomInt } from 'node:crypto';
import { hashToken, randomToken } from '../../core/random.js';
import type { Kv } from '../../kv/kv.js';
import { APPROVAL_ID } from '../../../client/companion/push-wire-format.js';

/** What the companion is shown (the number is not in it: the user carries it from the sign-in screen). */
export interface Approval {
  approvalId: string;
  username: string;
  site: string;
  requestedAt: number;
  expiresAt: number;
  ip: string;
  browser: string;
  os: string;
}

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'not_me';

export interface ApprovalRecord extends Approval {
  deviceId: string;
  /** The sign-in session it is bound to (SessionStore.idOf). */
  sessionId: string;
  number: string;
  state: ApprovalState;
}

/** Answered and expired approvals stay readable this long, so the waiting page can say what happened. */
const RETAIN_MS = 60_000;
/** An approval given in time may be redeemed this long after its expiry (the page polls every second). */
export const REDEEM_GRACE_MS = 15_000;

const recordKey = (id: string) => `push:approval:${id}`;
const answeredKey = (id: string) => `push:answered:${id}`;
const redeemedKey = (id: string) => `push:redeemed:${id}`;
const wrongKey = (id: string) => `push:wrong:${id}`;
const answerKey = (id: string, text: string) => `push:answer:${id}:${hashToken(text)}`;
const deviceKey = (deviceId: string) => `push:device:${deviceId}`;

export function toApproval(record: ApprovalRecord): Approval {
  const { approvalId, username, site, requestedAt, expiresAt, ip, browser, os } = record;
  return { approvalId, username, site, requestedAt, expiresAt, ip, browser, os };
}

/**
 * Pending approvals in the shared store. Every transition out of "pending" first wins an atomic
 * claim (setIfAbsent), so an answer is used once however many arrive in parallel, on any instance.
 */
export function createApprovalStore(kv: Kv) {
  const retainSeconds = (record: ApprovalRecord, now: number) => Math.max(1, Math.ceil((record.expiresAt + RETAIN_MS - now) / 1000));

  async function read(approvalId: string): Promise<ApprovalRecord | undefined> {
    if (!APPROVAL_ID.test(approvalId)) return undefined;
    const raw = await kv.get(recordKey(approvalId));
    return raw === null ? undefined : (JSON.parse(raw) as ApprovalRecord);
  }

  return {
    read,

    async create(input: Omit<ApprovalRecord, 'approvalId' | 'number' | 'state' | 'expiresAt' | 'requestedAt'>, now: number, ttlSeconds: number): Promise<ApprovalRecord> {
      const record: ApprovalRecord = {
        ...input,
        approvalId: randomToken(16),
        number: String(randomInt(10, 100)),
        state: 'pending',
        requestedAt: now,
        expiresAt: now + ttlSeconds * 1000,
      };
      await kv.set(recordKey(record.approvalId), JSON.stringify(record), retainSeconds(record, now));
      await kv.setAdd(deviceKey(record.deviceId), record.approvalId, retainSeconds(record, now));
      return record;
    },

    /** Moves a pending approval to its final state; false when something else answered it first. */
    async settle(record: ApprovalRecord, state: Exclude<ApprovalState, 'pending'>, now: number): Promise<boolean> {
      if (!(await kv.setIfAbsent(answeredKey(record.approvalId), state, retainSeconds(record, now), { replicated: true }))) return false;
      await kv.set(recordKey(record.approvalId), JSON.stringify({ ...record, state }), retainSeconds(record, now));
      await kv.setRemove(deviceKey(record.deviceId), record.approvalId);
      return true;
    },

    /**
     * Counts the uses of one signed answer, right or wrong, atomically: only use 1 is taken. Keyed
     * on the signed text, not the signature's bytes (an ECDSA signature has a second valid
     * spelling, s → n−s), and kept as long as the approval, past which nothing is pending to answer.
     */
    useAnswer: (record: ApprovalRecord, signedText: string, now: number) => kv.increment(answerKey(record.approvalId, signedText), retainSeconds(record, now)),

    /** Counts a wrong number; returns how many there were for this approval. */
    countWrongNumber: (record: ApprovalRecord, now: number) => kv.increment(wrongKey(record.approvalId), retainSeconds(record, now)),

    /** The single redemption of an approved approval. */
    claimRedemption: (record: ApprovalRecord, now: number) => kv.setIfAbsent(redeemedKey(record.approvalId), '1', retainSeconds(record, now), { replicated: true }),

    /** Pending, unexpired approvals for one phone. */
    async pendingFor(deviceId: string, now: number): Promise<ApprovalRecord[]> {
      const ids = await kv.setMembers(deviceKey(deviceId));
      const records = await Promise.all(ids.slice(0, 50).map(read));
      return records
        .filter((r): r is ApprovalRecord => r !== undefined && r.deviceId === deviceId && r.state === 'pending' && r.expiresAt > now)
        .sort((a, b) => a.requestedAt - b.requestedAt);
    },
  };
}

export type ApprovalStore = ReturnType<typeof createApprovalStore>;

/** The state a waiting sign-in page sees. */
export function visibleState(record: ApprovalRecord, now: number): 'pending' | 'approved' | 'denied' | 'expired' {
  if (record.state === 'approved') return 'approved';
  if (record.state === 'denied' || record.state === 'not_me') return 'denied';
  return record.expiresAt <= now ? 'expired' : 'pending';
}
