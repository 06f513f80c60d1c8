import type { Clock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { randomToken } from '../core/random.js';
import type { Kv } from '../kv/kv.js';
import { createSessionCache } from './session-cache.js';
import { createSessionInvalidation, invalidateSessionMessage, invalidateUserMessage } from './session-invalidation.js';
import { parseSessionRecord, recordTtlSeconds, serializeSessionRecord, sessionExpiry } from './session-record.js';
import { isSessionToken, newSessionToken, sessionHash, sessionIdOf } from './session-token.js';
import type { FactorUse, Session, SessionUser } from './session.js';

export interface SessionStoreOptions {
  /** Seconds without activity after which a session ends. */
  idleTimeout: number;
  /** Seconds after sign-in after which a session ends, whatever the activity. */
  absoluteTimeout: number;
  /**
   * Lifetime in seconds of a "remember me" session; 0 turns the option off. Such a session
   * lives this long from sign-in and has no shorter idle window: surviving a closed browser
   * for days is the point of asking for it. Policy rules with max_auth_age still ask for
   * fresh factors.
   */
  rememberMe: number;
  /** Seconds this instance may serve a session from memory before reading the store again. */
  cacheTtl: number;
  cacheMaxEntries?: number;
}

export interface SessionStore {
  create(input: { user: SessionUser; factor: FactorUse; rememberMe: boolean; client?: { ip: string; userAgent?: string } }): Promise<{ token: string; session: Session }>;
  /** The live session for a token, or null. Throws StoreUnavailableError when the store cannot tell. */
  read(token: string): Promise<Session | null>;
  /**
   * What read() would answer, when this instance can tell without the store: a live session it
   * read less than cacheTtl ago, or null for a value that cannot be a token. undefined: only
   * read() can tell. Never waits and never throws, so a proxied request with a cached session
   * is decided without a promise.
   */
  peek(token: string): Session | null | undefined;
  /** A new token for the (changed) session; the old one stops working on every instance. */
  rotate(token: string, change: (session: Session) => Session): Promise<{ token: string; session: Session } | null>;
  destroy(token: string): Promise<void>;
  /**
   * Ends every session of the user, on every instance, except the one of `keepToken` if given
   * (the session that just removed a factor); returns how many were live.
   */
  destroyAllForUser(username: string, options?: { keepToken?: string }): Promise<number>;
  listForUser(username: string): Promise<Array<{ id: string; session: Session }>>;
  destroyById(username: string, id: string): Promise<boolean>;
  /**
   * Live sessions of every user on every instance: counted in the store's expiry index, which
   * each session's writes keep in step (sign-in, rotation, activity, sign-out, revocation).
   */
  countLive(): Promise<number>;
  /** The non-secret id under which listForUser shows this token's session. */
  idOf(token: string): string | undefined;
  /** Resolves once revocations made by other instances reach this one (tests, readiness). */
  whenSubscribed(): Promise<void>;
  close(): Promise<void>;
}

const SESSION_ID = /^[0-9a-f]{16}$/;
const LIVE_INDEX = 'session-live';
const MAX_USER_AGENT = 256;

/**
 * Sessions in the Kv under the SHA-256 of their token, with a per-user index for signing out
 * everywhere. Reads are served from a short in-process cache (zero store calls); a cold read
 * is one `get`. Activity is written back at most once per half idle window, with a write
 * that cannot resurrect a session revoked meanwhile, so the effective idle timeout lies
 * between half and all of the configured one: never longer.
 */
export function createSessionStore(deps: { kv: Kv; clock: Clock; logger: Logger }, options: SessionStoreOptions): SessionStore {
  const { kv, clock } = deps;
  const logger = deps.logger.child({ component: 'session-store' });
  if (!(options.idleTimeout > 0) || !(options.absoluteTimeout > 0)) throw new RangeError('session timeouts must be positive');
  const cache = createSessionCache({ ttlMs: options.cacheTtl * 1000, maxEntries: options.cacheMaxEntries ?? 10_000 });
  const invalidation = createSessionInvalidation({ kv, logger, cache });
  const sessionKey = (hash: string) => `session:${hash}`;
  const userKey = (username: string) => `session-user:${username}`;
  /** Every session's hash, scored by when its record lapses: how many are live, without a list of users. */
  const liveIndex = (hash: string, session: Session, now: number) => ({ key: LIVE_INDEX, member: hash, expiresAtMs: now + recordTtlSeconds(session, now) * 1000 });
  const touchDue = (s: Session, now: number) => now - s.lastActiveAt >= (s.idleSeconds * 1000) / 2;

  function touch(hash: string, session: Session, now: number): Session {
    const touched = { ...session, lastActiveAt: now };
    // The index entry moves in the same call as the record: activity costs no extra round trip.
    kv.setIfPresent(sessionKey(hash), serializeSessionRecord(touched), recordTtlSeconds(touched, now), liveIndex(hash, touched, now)).catch((error: unknown) =>
      logger.warn({ err: (error as Error).message, session: sessionIdOf(hash) }, 'could not record session activity'),
    );
    return touched;
  }

  /** Index first: a session that exists must always be reachable by "sign out everywhere". */
  async function save(hash: string, session: Session, now: number): Promise<void> {
    await kv.setAdd(userKey(session.user.username), hash, (session.expiresAt - now) / 1000);
    await kv.set(sessionKey(hash), serializeSessionRecord(session), recordTtlSeconds(session, now), liveIndex(hash, session, now));
  }

  async function end(hash: string, username?: string): Promise<Session | null> {
    cache.drop(hash);
    const session = parseOrNull(await kv.take(sessionKey(hash)));
    const owner = username ?? session?.user.username;
    if (owner !== undefined) await kv.setRemove(userKey(owner), hash);
    // After the take: an activity write racing this one finds no record and leaves the index alone.
    await kv.indexRemove(LIVE_INDEX, hash);
    await invalidation.publish(invalidateSessionMessage(hash));
    return session;
  }

  function parseOrNull(text: string | null): Session | null {
    if (text === null) return null;
    const session = parseSessionRecord(text);
    if (session === null) logger.error('a stored session record is malformed; treating it as absent');
    return session;
  }

  /** A live cached session (its activity written back when due), or undefined. */
  function readCached(hash: string, now: number): Session | undefined {
    const cached = cache.get(hash, now);
    if (cached === undefined || sessionExpiry(cached, now) !== null) return undefined;
    if (!touchDue(cached, now)) return cached;
    const touched = touch(hash, cached, now);
    cache.update(hash, touched);
    return touched;
  }

  async function readCold(hash: string, now: number): Promise<Session | null> {
    const epoch = cache.epoch();
    const session = parseOrNull(await kv.get(sessionKey(hash)));
    if (session === null || sessionExpiry(session, now) !== null) return null;
    const current = touchDue(session, now) ? touch(hash, session, now) : session;
    if (invalidation.isLive()) cache.put(hash, current, now, epoch);
    return current;
  }

  return {
    async create({ user, factor, rememberMe, client }) {
      const now = clock.now();
      const remember = rememberMe && options.rememberMe > 0;
      const lifetime = remember ? options.rememberMe : options.absoluteTimeout;
      const session: Session = {
        user: { ...user, groups: [...user.groups] },
        factors: [{ ...factor }],
        createdAt: now,
        lastActiveAt: now,
        expiresAt: now + lifetime * 1000,
        idleSeconds: remember ? lifetime : Math.min(options.idleTimeout, lifetime),
        rememberMe: remember,
        ...(client ? { client: { ip: client.ip.slice(0, 64), userAgent: client.userAgent?.slice(0, MAX_USER_AGENT) ?? null } } : {}),
        csrf: randomToken(32),
      };
      const token = newSessionToken();
      await storeCall(save(sessionHash(token), session, now));
      return { token, session };
    },

    async read(token) {
      if (typeof token !== 'string' || !isSessionToken(token)) return null;
      const hash = sessionHash(token);
      const now = clock.now();
      return readCached(hash, now) ?? storeCall(readCold(hash, now));
    },

    peek(token) {
      if (typeof token !== 'string' || !isSessionToken(token)) return null;
      return readCached(sessionHash(token), clock.now());
    },

    async rotate(token, change) {
      if (typeof token !== 'string' || !isSessionToken(token)) return null;
      const now = clock.now();
      // The take makes rotation single-use: two racing sign-in steps cannot both fork the session.
      const old = await storeCall(end(sessionHash(token)));
      if (old === null || sessionExpiry(old, now) !== null) return null;
      const changed = change(old);
      if (changed.user.username !== old.user.username) throw new Error('rotate must not change the user of a session');
      const session: Session = {
        ...changed,
        createdAt: old.createdAt,
        expiresAt: old.expiresAt,
        idleSeconds: old.idleSeconds,
        rememberMe: old.rememberMe,
        lastActiveAt: now,
        // Whoever knew the old session (a fixation attempt) must not know the new one's CSRF value.
        csrf: randomToken(32),
      };
      const next = newSessionToken();
      await storeCall(save(sessionHash(next), session, now));
      return { token: next, session };
    },

    async destroy(token) {
      if (typeof token !== 'string' || !isSessionToken(token)) return;
      await storeCall(end(sessionHash(token)));
    },

    async destroyAllForUser(username, options = {}) {
      cache.dropUser(username);
      const keep = options.keepToken !== undefined && isSessionToken(options.keepToken) ? sessionHash(options.keepToken) : undefined;
      const hashes = (await storeCall(kv.setMembers(userKey(username)))).filter((hash) => hash !== keep);
      const now = clock.now();
      const ended = await storeCall(
        Promise.all(
          hashes.map(async (hash) => {
            const session = parseOrNull(await kv.take(sessionKey(hash)));
            await kv.setRemove(userKey(username), hash);
            await kv.indexRemove(LIVE_INDEX, hash);
            return session !== null && sessionExpiry(session, now) === null;
          }),
        ),
      );
      await invalidation.publish(invalidateUserMessage(username));
      return ended.filter(Boolean).length;
    },

    async listForUser(username) {
      const hashes = await storeCall(kv.setMembers(userKey(username)));
      const texts = await storeCall(Promise.all(hashes.map((hash) => kv.get(sessionKey(hash)))));
      const now = clock.now();
      const found: Array<{ id: string; session: Session }> = [];
      hashes.forEach((hash, i) => {
        const text = texts[i] ?? null;
        if (text === null) {
          kv.setRemove(userKey(username), hash).catch(() => undefined);
          return;
        }
        const session = parseOrNull(text);
        if (session && session.user.username === username && sessionExpiry(session, now) === null) found.push({ id: sessionIdOf(hash), session });
      });
      return found.sort((a, b) => b.session.lastActiveAt - a.session.lastActiveAt);
    },

    async destroyById(username, id) {
      if (typeof id !== 'string' || !SESSION_ID.test(id)) return false;
      const hashes = await storeCall(kv.setMembers(userKey(username)));
      const hash = hashes.find((h) => sessionIdOf(h) === id);
      if (hash === undefined) return false;
      const session = await storeCall(end(hash, username));
      return session !== null && sessionExpiry(session, clock.now()) === null;
    },

    countLive: () => storeCall(kv.indexCount(LIVE_INDEX, clock.now())),

    idOf: (token) => (typeof token === 'string' && isSessionToken(token) ? sessionIdOf(sessionHash(token)) : undefined),
    whenSubscribed: () => invalidation.whenLive(),
    close: () => invalidation.close(),
  };
}

/** Whatever went wrong below, the caller sees one outage error and answers 503. */
async function storeCall<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError('session store call failed', { cause: error });
  }
}
