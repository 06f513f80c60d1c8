import type { Kv } from '../../kv/kv.js';
import { randomToken } from '../../core/random.js';
import type { Factor, FactorDevice, VerifyResult } from '../factor.js';
import { normalizeCode } from '../otp/normalize-code.js';
import { digestCode, generateSentCode, isSameDigest } from './code-digest.js';
import { reserveSends, type SendCap, type SendCapName } from './send-caps.js';

const KEEP_SECONDS = 60;

export type SentCodeKind = 'email_otp' | 'sms_otp';

/** Where a user's codes go: the address or E.164 number, and how the page shows it. */
export interface Destination {
  address: string;
  masked: string;
}

export interface SentCodeOptions {
  kind: SentCodeKind;
  digits: 6 | 8;
  ttlSeconds: number;
  cooldownSeconds: number;
  maxSends: number;
  sendWindowSeconds: number;
  /** SMS: per number and for everyone, per 24 h. */
  perDestinationPerDay?: number;
  perDay?: number;
}

export interface SentCodeDeps {
  kv: Kv;
  now: () => number;
  /** Keys the code digests (code-digest.ts): never kept next to them. */
  digestKey: Buffer;
  /** The user's destination now, from the directory; undefined when they have none this factor may use. */
  destinationOf(username: string): Promise<Destination | undefined>;
}

export type IssueResult =
  | { ok: true; code: string; recordId: string; expiresAt: number; destination: Destination }
  | { ok: false; reason: 'no-destination' }
  /** `cap`: which limit; `retryAfter`: seconds until a code may be sent again (cooldown, account window). */
  | { ok: false; reason: 'cooldown' | 'rate-limited'; cap: SendCapName; retryAfter: number };

export type Delivery = 'sending' | 'sent' | 'failed';

/** What the page shows of the code sent for this sign-in. */
export interface CodeState {
  masked: string;
  expiresAt: number;
  /** When another code may be asked for. */
  resendAt: number;
  delivery: Delivery;
}

interface CodeRecord {
  id: string;
  username: string;
  digest: string;
  masked: string;
  sentAt: number;
  expiresAt: number;
}

export interface SentCodeFactor extends Factor {
  kind: SentCodeKind;
  destinationOf(username: string): Promise<Destination | undefined>;
  /**
   * A new code for the sign-in `binding` (replacing its earlier one), if the send caps allow it.
   * `destination`: send there instead of the user's own (a number being confirmed; the binding must name it).
   */
  issue(input: { username: string; binding: string; destination?: Destination }): Promise<IssueResult>;
  /** Records how the delivery of a code ended, for the page. */
  markDelivery(recordId: string, delivery: Exclude<Delivery, 'sending'>): Promise<void>;
  stateOf(username: string, binding: string): Promise<CodeState | undefined>;
}

/**
 * A code sent by email or SMS for one sign-in: kept in the shared store as a keyed digest under
 * the sign-in's binding, valid `ttlSeconds`, accepted once. A new code for the same sign-in
 * replaces the old one; the failure count lives in regulation and is never reset by it.
 */
export function createSentCodeFactor(deps: SentCodeDeps, options: SentCodeOptions): SentCodeFactor {
  const { kind } = options;
  const recordKey = (binding: string) => `sent-code:${kind}:${binding}`;
  const deliveryKey = (recordId: string) => `sent-code:delivery:${recordId}`;
  const usedKey = (recordId: string) => `sent-code:used:${recordId}`;
  const device = (masked: string): FactorDevice => ({ id: kind, kind, name: masked, createdAt: 0, lastUsedAt: null });

  async function read(binding: string): Promise<CodeRecord | undefined> {
    const raw = await deps.kv.get(recordKey(binding));
    return raw ? (JSON.parse(raw) as CodeRecord) : undefined;
  }

  function caps(username: string, binding: string, destination: string): SendCap[] {
    const day = 24 * 3600;
    return [
      { name: 'cooldown', key: `sent-code:cap:cooldown:${kind}:${binding}`, limit: 1, seconds: options.cooldownSeconds },
      { name: 'account', key: `sent-code:cap:account:${kind}:${username}`, limit: options.maxSends, seconds: options.sendWindowSeconds },
      ...(options.perDestinationPerDay
        ? [{ name: 'destination' as const, key: `sent-code:cap:to:${kind}:${destination}`, limit: options.perDestinationPerDay, seconds: day }]
        : []),
      ...(options.perDay ? [{ name: 'day' as const, key: `sent-code:cap:day:${kind}`, limit: options.perDay, seconds: day }] : []),
    ];
  }

  return {
    kind,
    destinationOf: deps.destinationOf,

    async listDevices(username) {
      const destination = await deps.destinationOf(username);
      return destination ? [device(destination.masked)] : [];
    },

    async issue({ username, binding, destination: given }) {
      // A number being added is not the user's destination yet: its caller names it (and binds the code to it).
      const destination = given ?? (await deps.destinationOf(username));
      if (!destination) return { ok: false, reason: 'no-destination' };
      const now = deps.now();
      const refused = await reserveSends(deps.kv, caps(username, binding, destination.address), now);
      if (refused) return { ok: false, reason: refused.name === 'cooldown' ? 'cooldown' : 'rate-limited', cap: refused.name, retryAfter: refused.retryAfter };
      const id = randomToken(16);
      const code = generateSentCode(options.digits);
      const expiresAt = now + options.ttlSeconds * 1000;
      const record: CodeRecord = { id, username, digest: digestCode(deps.digestKey, id, code), masked: destination.masked, sentAt: now, expiresAt };
      // The store keeps it a minute past its end: the clock decides (and says "expired"), the TTL cleans up.
      await deps.kv.set(deliveryKey(id), 'sending', options.ttlSeconds + KEEP_SECONDS);
      await deps.kv.set(recordKey(binding), JSON.stringify(record), options.ttlSeconds + KEEP_SECONDS);
      return { ok: true, code, recordId: id, expiresAt, destination };
    },

    async markDelivery(recordId, delivery) {
      await deps.kv.setIfPresent(deliveryKey(recordId), delivery, options.ttlSeconds + KEEP_SECONDS);
    },

    async stateOf(username, binding) {
      const record = await read(binding);
      if (!record || record.username !== username) return undefined;
      const delivery = ((await deps.kv.get(deliveryKey(record.id))) ?? 'sent') as Delivery;
      return { masked: record.masked, expiresAt: record.expiresAt, resendAt: record.sentAt + options.cooldownSeconds * 1000, delivery };
    },

    async verify({ username, response, now, binding }): Promise<VerifyResult> {
      // Guard: a code is bound to the sign-in that asked for it; without a binding nothing matches.
      if (!binding) return { ok: false, reason: 'invalid-code', detail: 'unbound' };
      // Guard: the one-time-code grammar (code-grammar.ts), of the configured length.
      const normalized = normalizeCode(response, options.digits);
      if (!normalized.ok) return { ok: false, reason: 'malformed' };
      const typed = normalized.code;
      // Guard: a code was sent for this sign-in, to this user. Another sign-in's code is not here.
      const record = await read(binding);
      if (!record || record.username !== username) return { ok: false, reason: 'invalid-code', detail: 'no-code' };
      // Guard: within its time, by the gateway's clock.
      if (now >= record.expiresAt) return { ok: false, reason: 'expired' };
      // Guard: the code itself.
      if (!isSameDigest(digestCode(deps.digestKey, record.id, typed), record.digest)) return { ok: false, reason: 'invalid-code' };
      // Single use: the claim is the atomic write; of two parallel requests with the code, one wins.
      const claimed = await deps.kv.setIfAbsent(usedKey(record.id), '1', options.ttlSeconds + KEEP_SECONDS, { replicated: true });
      if (!claimed) return { ok: false, reason: 'replayed' };
      await deps.kv.del(recordKey(binding), deliveryKey(record.id));
      return { ok: true, device: device(record.masked) };
    },

    // The destination belongs to the directory: nothing to remove here.
    remove: async () => false,
  };
}
