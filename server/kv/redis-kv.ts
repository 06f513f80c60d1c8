import { randomBytes } from 'node:crypto';
import { StoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ExpiryIndexEntry, Kv, Replicated } from './kv.js';
import { ttlToMs } from './ttl.js';
import { DeadlineError, openClaimsClient, openRedisClient, whenReady, withDeadline, type RedisClient, type RedisConnectionOptions } from './redis-client.js';
import type { SentinelClient } from './redis-sentinel-client.js';
import { createRedisSubscriptions } from './redis-subscriptions.js';

export interface RedisKvOptions extends RedisConnectionOptions {
  keyPrefix: string;
}

/** The TTL is set when the counter is created, and repaired if a counter somehow has none. */
const INCREMENT = `local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** Extends the set's TTL, never shortens it (PTTL is -1 without one, -2 never here). */
const SET_ADD = `redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/**
 * KEYS: the key, the index; ARGV: value, ttl ms, member, expiry ms, XX or NX-less mode. The key and
 * its index entry change together or not at all; members lapsed by now (expiry - ttl) are dropped.
 */
const SET_INDEXED = `local ok
if ARGV[5] == 'XX' then ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') else ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if not ok then return 0 end
local expiry = tonumber(ARGV[4])
if ARGV[5] ~= 'XX' then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', expiry - tonumber(ARGV[2])) end
redis.call('ZADD', KEYS[2], expiry, ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1`;

/** Forgets the lapsed members, then counts the rest. */
const INDEX_COUNT = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])`;

/** A sorted set scored by time; members are unique so parallel events at one millisecond all count. */
const WINDOW_ADD = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

/**
 * KEYS: places, events of each window in turn; ARGV: now, placeMs, member, then eventsMs and
 * limit of each window. Every window is looked at before any place is taken: all or none.
 */
const WINDOW_RESERVE = `local now = tonumber(ARGV[1])
local placeMs = tonumber(ARGV[2])
for i = 1, #KEYS / 2 do
  local places, events = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', places, '-inf', now - placeMs)
  local used = redis.call('ZCARD', places) + redis.call('ZCOUNT', events, '(' .. (now - tonumber(ARGV[2 + 2 * i])), '+inf')
  if used >= tonumber(ARGV[3 + 2 * i]) then return i - 1 end
end
for i = 1, #KEYS / 2 do
  redis.call('ZADD', KEYS[2 * i - 1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[2 * i - 1], placeMs)
end
return -1`;

/**
 * Kv on Redis (node-redis 6), one node or the master named by Redis Sentinel. Every command answers or rejects with StoreUnavailableError
 * within the timeout: at once while disconnected, at the deadline when Redis is slow or
 * stopped. A command that misses its deadline on a connection that looks healthy means the
 * connection is stuck (a SIGSTOPped or unreachable server), so the client is replaced:
 * its pending commands are dropped instead of piling up, and the new one reconnects by itself.
 */
/**
 * Redis eviction policies that may delete a key before its TTL when memory runs short: every
 * allkeys-* and volatile-* policy (every Gatehouse key has a TTL, so volatile-* evicts ours
 * too). Evicting a lockout counter, a used-code marker or a replay claim silently reopens what
 * it closed, so Gatehouse refuses to run on them; `noeviction` answers an error instead, which
 * fails closed (503).
 */
export const EVICTING_POLICY = /^(allkeys|volatile)-/;

export class RedisEvictionPolicyError extends Error {
  constructor(readonly policy: string) {
    super(
      `redis maxmemory-policy is "${policy}", which may evict lockout counters and single-use markers before they expire: ` +
        'set maxmemory-policy noeviction (redis.conf or CONFIG SET) and give Redis enough memory',
    );
    this.name = 'RedisEvictionPolicyError';
  }
}

/**
 * A `replicated` claim or take that the master did but too few replicas confirmed in time: the
 * step fails closed like any outage, since a failover now could bring the claimed thing back.
 */
export class ReplicationUnconfirmedError extends StoreUnavailableError {
  constructor(what: string, acknowledged: number, wanted: number) {
    super(`redis ${what}: ${acknowledged} of ${wanted} replicas confirmed the write in time (redis.sentinel.min_replicas_acknowledged)`);
    this.name = 'ReplicationUnconfirmedError';
  }
}

/** The server's maxmemory-policy, from INFO (CONFIG may be renamed or denied on managed Redis). */
export async function readEvictionPolicy(client: RedisClient): Promise<string> {
  const info = await client.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown';
}

export function createRedisKv(deps: { logger: Logger }, options: RedisKvOptions): Kv & { connect(): Promise<void> } {
  const logger = deps.logger.child({ component: 'redis-kv' });
  const timeoutMs = Math.max(1, Math.round(options.timeoutSeconds * 1000));
  const prefix = options.keyPrefix;
  // Sentinel mode needs a channel of its own to confirm its subscriptions (redis-sentinel-client.ts).
  const probeChannel = `${prefix}kv:probe:${randomBytes(8).toString('hex')}`;
  const open = (role: string) => openRedisClient(deps, { ...options, probeChannel }, role);
  let commands = open('commands');
  // The Sentinel client keeps its subscriptions on a connection of their own already.
  const subscriber = options.sentinel ? commands : open('subscriber');
  const subscriptions = createRedisSubscriptions({ logger, client: subscriber, timeoutMs, prefix });
  /*
   * Only single-use claims marked `replicated` wait for replicas. Failure counters, in-flight
   * places and lockouts are best-effort on purpose: a failover can lose only what was counted
   * within the replication delay before it (milliseconds), once per failover, which an attacker
   * cannot bring about; a lockout is derived from the failure window, which the next failure
   * finds again. Waiting for them would put a replica round trip on every failed attempt and let
   * a guessing storm fill the claim connections. A lost claim, by contrast, is a code usable twice.
   */
  const wanted = options.sentinel?.minReplicasAcknowledged ?? 0;
  const waitMs = options.sentinel?.waitTimeoutMs ?? 0;
  const claims: SentinelClient | undefined = options.sentinel && wanted > 0 ? openClaimsClient(deps, { ...options, sentinel: options.sentinel, probeChannel }) : undefined;
  let started = false;
  let closed = false;

  function start(client: RedisClient): void {
    // Connection failures are reported through 'error' and retried by the reconnect strategy.
    client.connect().catch(() => undefined);
  }

  /**
   * Not in Sentinel mode: there a command also waits out a failover inside the client, and
   * the client replaces its own connections once the sentinels name the new master.
   */
  function replace(stale: RedisClient): void {
    if (closed || stale !== commands || options.sentinel) return;
    logger.warn('redis did not answer in time; replacing the connection');
    commands = open('commands');
    start(commands);
    stale.destroy();
  }

  async function run<T>(what: string, command: (client: RedisClient) => Promise<T>): Promise<T> {
    return runOn(commands, what, command);
  }

  async function runOn<C extends RedisClient, T>(client: C, what: string, command: (client: C) => Promise<T>): Promise<T> {
    if (closed) throw new StoreUnavailableError('redis kv is closed');
    if (!client.isReady) throw new StoreUnavailableError(`redis ${what}: not connected`);
    try {
      return await withDeadline(command(client), timeoutMs, what);
    } catch (error) {
      if (error instanceof DeadlineError) replace(client);
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`redis ${what} failed`, { cause: error });
    }
  }

  /**
   * The write, then WAIT, on the claims connections; `replicated` is honoured only with them.
   * What the master refused (null) stands without confirmation; what it did must be confirmed.
   */
  async function confirmed(what: string, write: { key: string; value?: string; ttlMs?: number }): Promise<string | null> {
    const [reply, acknowledged] = await runOn(claims!, what, (c) => c.writeThenWait(write, wanted, waitMs));
    if (reply !== null && acknowledged < wanted) throw new ReplicationUnconfirmedError(what, acknowledged, wanted);
    return reply;
  }

  const key = (k: string) => prefix + k;
  const px = (ttlSeconds: number) => ({ type: 'PX' as const, value: ttlToMs(ttlSeconds) });

  /** One script, so one round trip: an indexed write costs what the plain SET did. */
  async function setIndexed(k: string, value: string, ttl: number, index: ExpiryIndexEntry, mode: 'always' | 'XX'): Promise<boolean> {
    const args = [value, String(ttlToMs(ttl)), index.member, String(Math.trunc(index.expiresAtMs)), mode];
    return Number(await run(mode === 'XX' ? 'set xx indexed' : 'set indexed', (c) => c.eval(SET_INDEXED, { keys: [key(k), key(index.key)], arguments: args }))) === 1;
  }

  return {
    async connect() {
      if (closed) throw new StoreUnavailableError('redis kv is closed');
      if (!started) {
        started = true;
        start(commands);
        if (subscriber !== commands) start(subscriber);
        if (claims) start(claims);
      }
      await Promise.all([whenReady(commands, timeoutMs), whenReady(subscriber, timeoutMs), ...(claims ? [whenReady(claims, timeoutMs)] : [])]);
      const policy = await run('info', readEvictionPolicy);
      if (EVICTING_POLICY.test(policy)) throw new RedisEvictionPolicyError(policy);
    },
    get: async (k) => run('get', (c) => c.get(key(k))),
    async set(k, value, ttl, index) {
      if (index) return void (await setIndexed(k, value, ttl, index, 'always'));
      const expiration = px(ttl);
      await run('set', (c) => c.set(key(k), value, { expiration }));
    },
    async setIfAbsent(k, value, ttl, options?: Replicated) {
      if (options?.replicated && claims) return (await confirmed('claim', { key: key(k), value, ttlMs: ttlToMs(ttl) })) === 'OK';
      const expiration = px(ttl);
      return (await run('set', (c) => c.set(key(k), value, { expiration, condition: 'NX' }))) === 'OK';
    },
    async setIfPresent(k, value, ttl, index) {
      if (index) return setIndexed(k, value, ttl, index, 'XX');
      const expiration = px(ttl);
      return (await run('set', (c) => c.set(key(k), value, { expiration, condition: 'XX' }))) === 'OK';
    },
    async take(k, options?: Replicated) {
      if (options?.replicated && claims) return confirmed('take', { key: key(k) });
      return run('getdel', (c) => c.getDel(key(k)));
    },
    async indexRemove(k, member) {
      await run('index remove', (c) => c.zRem(key(k), member));
    },
    async indexCount(k, nowMs) {
      const args = [String(Math.trunc(nowMs))];
      return Number(await run('index count', (c) => c.eval(INDEX_COUNT, { keys: [key(k)], arguments: args })));
    },
    async del(...keys) {
      if (keys.length > 0) await run('del', (c) => c.del(keys.map(key)));
    },
    async increment(k, ttl) {
      const args = [String(ttlToMs(ttl))];
      return Number(await run('increment', (c) => c.eval(INCREMENT, { keys: [key(k)], arguments: args })));
    },
    async setAdd(k, member, ttl) {
      const args = [member, String(ttlToMs(ttl))];
      await run('sadd', (c) => c.eval(SET_ADD, { keys: [key(k)], arguments: args }));
    },
    async setRemove(k, member) {
      await run('srem', (c) => c.sRem(key(k), member));
    },
    async windowAdd(k, nowMs, windowMs) {
      const args = [String(Math.trunc(nowMs)), String(Math.max(1, Math.trunc(windowMs))), `${Math.trunc(nowMs)}:${randomBytes(8).toString('hex')}`];
      return Number(await run('window add', (c) => c.eval(WINDOW_ADD, { keys: [key(k)], arguments: args })));
    },
    async windowReserve(windows, member, nowMs, placeMs) {
      const keys = windows.flatMap((w) => [key(w.places), key(w.events)]);
      const args = [
        String(Math.trunc(nowMs)),
        String(Math.max(1, Math.trunc(placeMs))),
        member,
        ...windows.flatMap((w) => [String(Math.max(1, Math.trunc(w.eventsMs))), String(w.limit)]),
      ];
      return Number(await run('window reserve', (c) => c.eval(WINDOW_RESERVE, { keys, arguments: args })));
    },
    async windowRemove(k, member) {
      await run('window remove', (c) => c.zRem(key(k), member));
    },
    async windowCount(k, nowMs, windowMs) {
      const min = `(${Math.trunc(nowMs) - Math.max(1, Math.trunc(windowMs))}`;
      return Number(await run('window count', (c) => c.zCount(key(k), min, '+inf')));
    },
    setMembers: async (k) => Array.from(await run('smembers', (c) => c.sMembers(key(k))), String),
    async publish(channel, message) {
      await run('publish', (c) => c.publish(prefix + channel, message));
    },
    subscribe: (channel, onMessage, onReset) => {
      if (closed) return Promise.reject(new StoreUnavailableError('redis kv is closed'));
      return subscriptions.subscribe(channel, onMessage, onReset);
    },
    async ping() {
      await run('ping', (c) => c.ping());
      if (!subscriptions.isReady()) throw new StoreUnavailableError('redis subscriber is not connected');
      if (claims && !claims.isReady) throw new StoreUnavailableError('redis claims connection is not connected');
    },
    async close() {
      if (closed) return;
      closed = true;
      commands.destroy();
      if (subscriber !== commands) subscriber.destroy();
      claims?.destroy();
    },
  };
}
