import { randomToken } from '../../core/random.js';
import type { Kv } from '../../kv/kv.js';

/** Which limit stopped a code: this sign-in's cooldown, the account's window, the number's or everyone's day. */
export type SendCapName = 'cooldown' | 'account' | 'destination' | 'day';

export interface SendCap {
  name: SendCapName;
  key: string;
  limit: number;
  seconds: number;
}

/** A window key nothing writes events to: the caps count places only. */
const NO_EVENTS = 'sent-code:cap:none';

/**
 * Takes one send from every cap, or none: each is a sliding window of places in the shared store
 * (atomic per cap), and a cap found full gives back what the earlier ones took. Returns the
 * full cap, with the seconds until its oldest send lapses (its whole window when that is unknown).
 */
export async function reserveSends(kv: Kv, caps: readonly SendCap[], nowMs: number): Promise<{ name: SendCapName; retryAfter: number } | undefined> {
  const member = `${nowMs}:${randomToken(8)}`;
  const taken: SendCap[] = [];
  for (const cap of caps) {
    const full = await kv.windowReserve([{ places: cap.key, events: NO_EVENTS, eventsMs: 1, limit: cap.limit }], member, nowMs, cap.seconds * 1000);
    if (full === -1) {
      taken.push(cap);
      continue;
    }
    await Promise.all(taken.map((t) => kv.windowRemove(t.key, member)));
    return { name: cap.name, retryAfter: cap.seconds };
  }
  return undefined;
}
