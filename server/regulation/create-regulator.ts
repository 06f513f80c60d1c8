import type { AuditLog } from '../audit/create-audit-log.js';
import type { Clock } from '../core/clock.js';
import type { RegulationConfig } from '../config/schema.js';
import type { Kv, WindowLimit } from '../kv/kv.js';
import { randomToken } from '../core/random.js';
import type { Admission, Attempt, AttemptKind, LockState, RegulationVerdict, Regulator } from './regulator.js';

export const ATTEMPT_KINDS: readonly AttemptKind[] = ['password', 'otp', 'push', 'webauthn', 'recovery_code', 'email_otp', 'enrollment_code'];

/** A lock "until unlocked" still needs a TTL in the Kv: a century is forever enough. */
const FOREVER_SECONDS = 100 * 365 * 86400;

/**
 * The longest an attempt counts as in flight. One that never ends (its instance killed
 * mid-check, Redis gone before the release) stops counting then; a password check waits at
 * most for its turn in the bounded hash queue, well under this.
 */
export const IN_FLIGHT_MS = 60_000;

/** What an attempt refused for the attempts in flight is told: they end within seconds. */
const IN_FLIGHT_RETRY_SECONDS = 1;

interface StoredLock {
  reason: string;
  actor: string;
  at: number;
  /** null: until an administrator unlocks. */
  until: number | null;
}

export interface RegulatorDeps {
  kv: Kv;
  clock: Clock;
  audit: AuditLog;
  /** Ends every session of a user that was just locked (sessions.destroyAllForUser). */
  endSessions: (username: string) => Promise<unknown>;
  /** Told of each ban or lock that starts (metrics). */
  onEvent?: (event: 'account_ban' | 'address_ban' | 'lockout', kind: AttemptKind | 'any') => void;
}

/**
 * Usernames are compared as directories do: trimmed, lower case, and in Unicode NFKC, so the
 * full-width "ｄａｖｅ" an LDAP server finds as "dave" is counted as "dave" too.
 */
export function regulationSubject(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/**
 * The Regulator on the shared Kv. Per attempt: one read per counter before (lock, kind ban,
 * address ban, in parallel) and three atomic window writes after a failure. Bans are keys of
 * their own with a TTL, so a ban lasts `ban_time` from the failure that started it even
 * though the window behind it keeps sliding.
 */
export function createRegulator(deps: RegulatorDeps, config: RegulationConfig): Regulator {
  const { kv, clock } = deps;
  const keys = {
    kind: (kind: AttemptKind, user: string) => `reg:kind:${kind}:${user}`,
    kindBan: (kind: AttemptKind, user: string) => `reg:ban:${kind}:${user}`,
    account: (user: string) => `reg:account:${user}`,
    address: (ip: string) => `reg:addr:${ip}`,
    addressBan: (ip: string) => `reg:addr-ban:${ip}`,
    lock: (user: string) => `reg:lock:${user}`,
    kindInFlight: (kind: AttemptKind, user: string) => `reg:flight:${kind}:${user}`,
    accountInFlight: (user: string) => `reg:flight-account:${user}`,
    addressInFlight: (ip: string) => `reg:flight-addr:${ip}`,
  };

  /**
   * The limits an attempt counts against, address first: when several are full, the address's
   * answer (which says nothing about the account) is the one given.
   */
  function limitsOf(attempt: Attempt): Array<WindowLimit & { scope: 'account' | 'address' }> {
    const user = attempt.username === undefined ? undefined : regulationSubject(attempt.username);
    const address = {
      scope: 'address' as const,
      places: keys.addressInFlight(attempt.ip),
      events: keys.address(attempt.ip),
      eventsMs: config.address.find_time * 1000,
      limit: config.address.max_retries,
    };
    if (user === undefined) return [address];
    return [
      address,
      {
        scope: 'account',
        places: keys.kindInFlight(attempt.kind, user),
        events: keys.kind(attempt.kind, user),
        eventsMs: config.account.find_time * 1000,
        limit: config.account.max_retries,
      },
      { scope: 'account', places: keys.accountInFlight(user), events: keys.account(user), eventsMs: config.lockout.find_time * 1000, limit: config.lockout.max_failures },
    ];
  }

  async function readLock(user: string): Promise<StoredLock | undefined> {
    const raw = await kv.get(keys.lock(user));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as StoredLock;
    } catch {
      // An unreadable lock is still a lock: fail closed, until an administrator clears it.
      return { reason: 'unknown', actor: 'system', at: 0, until: null };
    }
  }

  const secondsUntil = (until: number | null) => (until === null ? null : Math.max(1, Math.ceil((until - clock.now()) / 1000)));
  const banUntil = async (key: string) => {
    const raw = await kv.get(key);
    return raw === null ? undefined : Number(raw);
  };

  /** Starts a ban unless one runs already (parallel failures must not keep extending it). */
  async function ban(key: string, ban: { ban_time: number }): Promise<boolean> {
    return kv.setIfAbsent(key, String(clock.now() + ban.ban_time * 1000), ban.ban_time);
  }

  async function lock(user: string, input: { reason: string; actor: string; durationSeconds?: number }, audit: { ip?: string }): Promise<boolean> {
    const seconds = input.durationSeconds ?? config.lockout.duration;
    const now = clock.now();
    const stored: StoredLock = { reason: input.reason, actor: input.actor, at: now, until: seconds > 0 ? now + seconds * 1000 : null };
    const created = await kv.setIfAbsent(keys.lock(user), JSON.stringify(stored), seconds > 0 ? seconds : FOREVER_SECONDS);
    if (!created) return false;
    deps.onEvent?.('lockout', 'any');
    await deps.endSessions(user);
    await deps.audit.record({
      kind: 'lockout',
      subject: user,
      actor: input.actor,
      clientIp: audit.ip,
      reason: input.reason,
      details: { until: stored.until === null ? 'unlock' : new Date(stored.until).toISOString() },
      level: 'warn',
      message: 'account locked',
    });
    return true;
  }

  async function check(attempt: Attempt): Promise<RegulationVerdict> {
    const user = attempt.username === undefined ? undefined : regulationSubject(attempt.username);
    const [locked, kindBan, addressBan] = await Promise.all([
      user === undefined ? undefined : readLock(user),
      user === undefined ? undefined : banUntil(keys.kindBan(attempt.kind, user)),
      banUntil(keys.addressBan(attempt.ip)),
    ]);
    // The address's ban answers first. A password sign-in answers an address refusal at once
    // (429) and an account refusal as a wrong password (401): were a lock or an account ban to win
    // here, a banned address would still tell, one name at a time, which accounts are locked.
    if (addressBan !== undefined) return { ok: false, reason: 'throttled', scope: 'address', retryAfter: secondsUntil(addressBan) };
    if (locked) return { ok: false, reason: 'locked', scope: 'account', retryAfter: secondsUntil(locked.until) };
    if (kindBan !== undefined) return { ok: false, reason: 'throttled', scope: 'account', retryAfter: secondsUntil(kindBan) };
    return { ok: true };
  }

  return {
    check,

    async admit(attempt): Promise<Admission> {
      const limits = limitsOf(attempt);
      const now = clock.now();
      const member = `${now}:${randomToken(12)}`;
      let held = false;
      const release = async () => {
        if (!held) return;
        held = false;
        // Never throws: a place left behind lapses after IN_FLIGHT_MS (fail closed until then).
        await Promise.all(limits.map((l) => kv.windowRemove(l.places, member))).catch(() => undefined);
      };
      const refuse = (scope: 'account' | 'address'): Admission => ({ verdict: { ok: false, reason: 'throttled', scope, retryAfter: IN_FLIGHT_RETRY_SECONDS }, release });
      const banned = await check(attempt);
      if (!banned.ok && banned.scope === 'address') return { verdict: banned, release };
      if (banned.ok) {
        // One atomic step takes a place under every limit or under none (failures in the window
        // plus attempts in flight), so parallel attempts are counted exactly as they arrive. A
        // failure is written before its place is given back: the count may run high for a
        // moment, never short.
        const full = await kv.windowReserve(limits, member, now, IN_FLIGHT_MS);
        held = full === -1;
        if (held) return { verdict: { ok: true }, release };
        if (full === 0) return refuse('address');
      }
      // Refused for the account (a ban, a lock, or its attempts in flight). A password attempt
      // is hashed all the same, so that its answer takes as long: it still counts for its
      // address, which alone decides whether to refuse without a hash.
      held = (await kv.windowReserve(limits.slice(0, 1), member, now, IN_FLIGHT_MS)) === -1;
      if (!held) return refuse('address');
      return banned.ok ? refuse('account') : { verdict: banned, release };
    },

    async recordFailure(attempt) {
      const now = clock.now();
      const user = attempt.username === undefined ? undefined : regulationSubject(attempt.username);
      const [kindCount, accountCount, addressCount] = await Promise.all([
        user === undefined ? 0 : kv.windowAdd(keys.kind(attempt.kind, user), now, config.account.find_time * 1000),
        user === undefined ? 0 : kv.windowAdd(keys.account(user), now, config.lockout.find_time * 1000),
        kv.windowAdd(keys.address(attempt.ip), now, config.address.find_time * 1000),
      ]);
      const started: string[] = [];
      if (user !== undefined && kindCount >= config.account.max_retries && (await ban(keys.kindBan(attempt.kind, user), config.account))) started.push('account');
      if (addressCount >= config.address.max_retries && (await ban(keys.addressBan(attempt.ip), config.address))) started.push('address');
      for (const scope of started) {
        deps.onEvent?.(scope === 'account' ? 'account_ban' : 'address_ban', attempt.kind);
        await deps.audit.record({
          kind: 'regulation.banned',
          subject: scope === 'account' ? user : undefined,
          actor: 'system',
          clientIp: attempt.ip,
          reason: scope,
          details: { factor: attempt.kind, seconds: scope === 'account' ? config.account.ban_time : config.address.ban_time },
          level: 'warn',
          message: scope === 'account' ? 'too many failures: this factor is refused for a while' : 'too many failures from this address',
        });
      }
      if (user === undefined || accountCount < config.lockout.max_failures) return { locked: false };
      await lock(user, { reason: 'failures', actor: 'system' }, { ip: attempt.ip });
      return { locked: true };
    },

    async recordSuccess(attempt) {
      const user = regulationSubject(attempt.username);
      await kv.del(keys.kind(attempt.kind, user));
    },

    async isLocked(username) {
      return (await kv.get(keys.lock(regulationSubject(username)))) !== null;
    },

    async lockState(username): Promise<LockState> {
      const user = regulationSubject(username);
      const [locked, recentFailures] = await Promise.all([readLock(user), kv.windowCount(keys.account(user), clock.now(), config.lockout.find_time * 1000)]);
      return { locked: locked !== undefined, until: locked?.until ?? null, reason: locked?.reason ?? null, recentFailures };
    },

    async lock(username, input) {
      await lock(regulationSubject(username), input, {});
    },

    async unlock(username) {
      const user = regulationSubject(username);
      const wasLocked = (await kv.take(keys.lock(user))) !== null;
      await kv.del(keys.account(user), ...ATTEMPT_KINDS.flatMap((kind) => [keys.kind(kind, user), keys.kindBan(kind, user)]));
      // The caller (the admin API or CLI) records the one event of an unlock, with its actor.
      return wasLocked;
    },
  };
}
