import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import type { Kv } from '../kv/kv.js';
import { DeadlineError } from '../kv/redis-client.js';
import { createRedisKv } from '../kv/redis-kv.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { createFixedClock } from '../core/clock.js';
import { createSessionStore, type SessionStore } from './session-store.js';
import { COUNT_OPTIONS, describeSessionCount } from './testing/session-count-contract.js';
import type { SessionUser } from './session.js';

/** The Redis deadline of the failure tests, which tell its work by the error, not the clock. */
const TIMEOUT_S = 0.5;
/** For tests that are not about the deadline: a busy machine must not fail them by missing it. */
const GENEROUS_TIMEOUT_S = 10;
/**
 * How long a revocation may take to reach another instance: far inside the minute-long cache
 * TTL, so arriving at all shows the message ended the session, not the TTL. A ceiling, since
 * load only delays it.
 */
const PROPAGATION_MS = 10_000;
const alice: SessionUser = { username: 'alice', displayName: 'Alice', email: 'alice@example.com', groups: ['staff'] };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let redis: TestRedisServer;
const toClose: Array<{ close(): Promise<void> }> = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** One gateway instance: its own Redis connections and its own session cache. */
async function instance(options: { cacheTtl?: number; timeoutSeconds?: number } = {}): Promise<SessionStore & { kv: Kv }> {
  const timeoutSeconds = options.timeoutSeconds ?? GENEROUS_TIMEOUT_S;
  const kv = createRedisKv({ logger: createSilentLogger() }, { url: redis.url, database: 0, timeoutSeconds, keyPrefix: 'gh-test:' });
  await kv.connect();
  const store = createSessionStore(
    { kv, clock: systemClock, logger: createSilentLogger() },
    { idleTimeout: 3600, absoluteTimeout: 43_200, rememberMe: 0, cacheTtl: options.cacheTtl ?? 60 },
  );
  await store.whenSubscribed();
  toClose.push(store, kv);
  return Object.assign(store, { kv });
}

const signIn = (store: SessionStore) => store.create({ user: alice, factor: { kind: 'password', at: Date.now() }, rememberMe: false });

async function within<T>(ms: number, check: () => Promise<T>, accept: (value: T) => boolean): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (accept(await check())) return performance.now() - started;
    await sleep(5);
  }
  throw new Error(`not reached within ${ms} ms`);
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedisServer();
});

afterEach(async () => {
  redis.thaw();
  for (const item of toClose.splice(0)) await item.close();
  expect(unhandled).toEqual([]);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis?.stop();
});

describe('session store on a real Redis, two gateway instances', () => {
  it('destroy on instance A ends the session cached on instance B within moments (cache TTL is a minute)', async () => {
    const [a, b] = [await instance(), await instance()];
    const { token } = await signIn(a);
    expect(await b.read(token)).not.toBeNull();
    await a.destroy(token);
    await within(
      PROPAGATION_MS,
      () => b.read(token),
      (s) => s === null,
    );
  });

  it('rotation on A revokes the old token cached on B; the new one works on B', async () => {
    const [a, b] = [await instance(), await instance()];
    const { token } = await signIn(a);
    await b.read(token);
    const rotated = await a.rotate(token, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at: Date.now() }] }));
    await within(
      PROPAGATION_MS,
      () => b.read(token),
      (s) => s === null,
    );
    expect((await b.read(rotated!.token))?.factors.map((f) => f.kind)).toEqual(['password', 'totp']);
  });

  it('sign-out everywhere on A reaches every cached session on B', async () => {
    const [a, b] = [await instance(), await instance()];
    const tokens = [(await signIn(a)).token, (await signIn(b)).token, (await signIn(a)).token];
    for (const t of tokens) await b.read(t);
    expect(await a.destroyAllForUser('alice')).toBeGreaterThanOrEqual(3);
    for (const t of tokens)
      await within(
        PROPAGATION_MS,
        () => b.read(t),
        (s) => s === null,
      );
    expect(await a.listForUser('alice')).toEqual([]);
  });
});

describe('session store when Redis fails', () => {
  it('Redis frozen: a cold read rejects with StoreUnavailableError within the timeout; a cached session is still served', async () => {
    const store = await instance({ timeoutSeconds: TIMEOUT_S });
    const cached = await signIn(store);
    const cold = await signIn(store);
    await store.read(cached.token);
    redis.freeze();
    // Frozen Redis never answers: ending at all is the deadline's doing (the error says so).
    await expect(store.read(cold.token)).rejects.toBeInstanceOf(DeadlineError);
    expect(await store.read(cached.token)).not.toBeNull();
    // Sign-in needs the store: it fails closed too (at once, or at the deadline).
    await expect(signIn(store)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a cached session is served only within the cache TTL while Redis is frozen', async () => {
    const store = await instance({ cacheTtl: 1, timeoutSeconds: TIMEOUT_S });
    const { token } = await signIn(store);
    await store.read(token);
    redis.freeze();
    expect(await store.read(token)).not.toBeNull();
    await sleep(1_050);
    await expect(store.read(token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('Redis stopped: cold reads reject fast, nothing crashes, and the same store works again when it returns', async () => {
    const store = await instance({ timeoutSeconds: TIMEOUT_S });
    const { token } = await signIn(store);
    const cold = await signIn(store);
    await store.read(token);
    const restarting = redis.restart({ downMs: 1_500 });
    await sleep(200);
    // Refused at once for want of a connection, not left to the deadline.
    for (let i = 0; i < 5; i++) await expect(store.read(cold.token)).rejects.toThrow(/: not connected$/);
    expect(await store.read(token)).not.toBeNull(); // still within the cache TTL
    await restarting;
    // The restarted Redis is empty; a new sign-in works without recreating anything.
    const fresh = await retry(() => signIn(store));
    expect(await store.read(fresh.token)).not.toBeNull();
  });

  it('after a restart each instance drops its whole cache: sessions lost with Redis do not linger', async () => {
    const store = await instance({ timeoutSeconds: TIMEOUT_S });
    const { token } = await signIn(store);
    await store.read(token);
    await redis.restart();
    await within(
      5_000,
      () => store.read(token).catch(() => 'unavailable' as const),
      (s) => s === null,
    );
  });
});

let countRun = 0;
describeSessionCount('redis store', async () => {
  // A prefix per test: each starts with an empty index. The store's clock is pinned, the keys' TTLs are Redis's own.
  const clock = createFixedClock(Date.now());
  const keyPrefix = `gh-count-${process.pid}-${countRun++}:`;
  const open = async () => {
    const kv = createRedisKv({ logger: createSilentLogger() }, { url: redis.url, database: 0, timeoutSeconds: GENEROUS_TIMEOUT_S, keyPrefix });
    await kv.connect();
    const store = createSessionStore({ kv, clock, logger: createSilentLogger() }, COUNT_OPTIONS);
    await store.whenSubscribed();
    toClose.push(store, kv);
    return { store, kv };
  };
  const [a, b] = [await open(), await open()];
  // Commands on one connection are answered in order: a ping's answer means the writes before it are done.
  return { a: a.store, b: b.store, clock, settle: async () => void (await Promise.all([a.kv.ping(), b.kv.ping()])) };
});

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= 100) throw error;
      await sleep(50);
    }
  }
}
