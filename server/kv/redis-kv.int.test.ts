import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { describeKvContract, eventually } from './kv-contract.js';
import type { Kv } from './kv.js';
import { createRedisKv } from './redis-kv.js';

const TIMEOUT_S = 0.5;
/** What a rejection may take beyond the timeout: timers and a loaded test machine. */
const MARGIN_MS = 400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const realTime = async (ms: number) => sleep(ms);

let redis: TestRedisServer;
const opened: Kv[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function openKv(url = redis.url, keyPrefix = 'test:') {
  const kv = createRedisKv({ logger: createSilentLogger() }, { url, database: 0, timeoutSeconds: TIMEOUT_S, keyPrefix });
  opened.push(kv);
  return kv;
}

async function connectedKv(keyPrefix?: string) {
  const kv = await openKv(undefined, keyPrefix);
  await kv.connect();
  return kv;
}

async function timed<T>(promise: Promise<T>): Promise<{ elapsed: number; result: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([promise]);
  return { elapsed: performance.now() - started, result: result! };
}

function expectStoreUnavailable(result: PromiseSettledResult<unknown>): void {
  expect(result.status).toBe('rejected');
  expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedisServer();
});

afterEach(async () => {
  redis.thaw();
  await Promise.all(opened.splice(0).map((kv) => kv.close()));
  expect(unhandled).toEqual([]);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis?.stop();
});

describeKvContract('redis kv', async () => ({ kv: await connectedKv(), pass: realTime }));

describe('createRedisKv against a real Redis', () => {
  it('keeps key prefixes apart: two deployments can share one Redis', async () => {
    const a = await connectedKv('a:');
    const b = await connectedKv('b:');
    await a.set('k', 'from a', 60);
    expect(await b.get('k')).toBeNull();
    expect(await a.get('k')).toBe('from a');
  });

  it('connect rejects within the timeout when nothing listens, and commands then fail fast', async () => {
    const spare = await startRedisServer();
    await spare.stop();
    const kv = await openKv(spare.url);
    const { elapsed, result } = await timed(kv.connect());
    expectStoreUnavailable(result);
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    const { elapsed: getElapsed, result: getResult } = await timed(kv.get('k'));
    expectStoreUnavailable(getResult);
    expect(getElapsed).toBeLessThan(50);
  });

  it('connect rejects within the timeout when Redis is frozen', async () => {
    redis.freeze();
    const kv = await openKv();
    const { elapsed, result } = await timed(kv.connect());
    expectStoreUnavailable(result);
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    redis.thaw();
    await waitUntilWorking(kv);
  });

  it('frozen Redis: every command rejects with StoreUnavailableError within the timeout, nothing piles up, and it works again after thaw', async () => {
    const kv = await connectedKv();
    await kv.set('before', 'v', 60);
    redis.freeze();
    // A command that timed out may still run once Redis resumes (it sits in the socket
    // buffer), so the take aims at a key of its own: callers must treat a timeout as "maybe".
    const calls = [kv.get('before'), kv.set('k', 'v', 60), kv.take('other'), kv.increment('n', 60), kv.setMembers('s'), kv.ping(), kv.publish('c', 'm')];
    const { elapsed, result } = await timed(Promise.allSettled(calls));
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    for (const r of (result as PromiseFulfilledResult<PromiseSettledResult<unknown>[]>).value) expectStoreUnavailable(r);
    // The stuck connection was replaced; until the new one is ready, calls fail at once instead of queueing.
    for (let i = 0; i < 20; i++) {
      const { elapsed: e, result: r } = await timed(kv.get('before'));
      expectStoreUnavailable(r);
      expect(e).toBeLessThan(50);
    }
    redis.thaw();
    await waitUntilWorking(kv);
    expect(await kv.get('before')).toBe('v');
  });

  it('frozen Redis under steady traffic: every call settles within the timeout, and service resumes after thaw', async () => {
    const kv = await connectedKv();
    await kv.set('steady', 'v', 60);
    redis.freeze();
    const waves: Array<Promise<{ elapsed: number; result: PromiseSettledResult<string | null> }>> = [];
    for (let wave = 0; wave < 15; wave++) {
      for (let i = 0; i < 20; i++) waves.push(timed(kv.get('steady')));
      await sleep(100);
    }
    const settled = await Promise.all(waves);
    for (const { elapsed, result } of settled) {
      expectStoreUnavailable(result);
      expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    }
    redis.thaw();
    await waitUntilWorking(kv);
    expect(await kv.get('steady')).toBe('v');
  });

  it('Redis down for a while: commands reject at once, not at the deadline, and the same client works when it is back', async () => {
    const kv = await connectedKv();
    const restarting = redis.restart({ downMs: 1_000 });
    await sleep(300);
    for (let i = 0; i < 10; i++) {
      const { elapsed, result } = await timed(kv.set('k', 'v', 60));
      expectStoreUnavailable(result);
      expect(elapsed).toBeLessThan(100);
    }
    await restarting;
    await waitUntilWorking(kv);
    await kv.set('k', 'back', 60);
    expect(await kv.get('k')).toBe('back');
  });

  it('stopped Redis: commands reject fast, no crash, and a restart brings the same client back', async () => {
    const kv = await connectedKv();
    await redis.restart(); // an empty Redis on the same port: the old connection is gone
    const { elapsed, result } = await timed(kv.get('k'));
    if (result.status === 'rejected') expectStoreUnavailable(result);
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    await waitUntilWorking(kv);
    await kv.set('after-restart', 'v', 60);
    expect(await kv.get('after-restart')).toBe('v');
  });

  it('subscriptions survive a restart, and onReset is called when messages may have been missed', async () => {
    const subscriberKv = await connectedKv();
    const publisherKv = await connectedKv();
    const got: string[] = [];
    let resets = 0;
    await subscriberKv.subscribe('events', (m) => got.push(m), () => resets++);
    await publisherKv.publish('events', 'one');
    await eventually(realTime, () => expect(got).toEqual(['one']));
    expect(resets).toBe(0);
    await redis.restart();
    await eventually(realTime, () => expect(resets).toBeGreaterThanOrEqual(1), 200);
    await waitUntilWorking(publisherKv);
    // After re-subscription a publish arrives again (retry until the subscriber is back).
    for (let i = 0; i < 100 && !got.includes('two'); i++) {
      await publisherKv.publish('events', 'two').catch(() => undefined);
      await sleep(50);
    }
    expect(got).toContain('two');
  });

  it('subscribe rejects within the timeout when Redis is frozen, and registers nothing', async () => {
    const kv = await connectedKv();
    redis.freeze();
    const { elapsed, result } = await timed(kv.subscribe('frozen', () => undefined, () => undefined));
    expectStoreUnavailable(result);
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
  });

  it('close settles at once even when Redis is frozen, and later calls are refused', async () => {
    const kv = await connectedKv();
    redis.freeze();
    const pending = kv.get('k');
    const { elapsed } = await timed(kv.close());
    expect(elapsed).toBeLessThan(100);
    expectStoreUnavailable((await Promise.allSettled([pending]))[0]!);
    expectStoreUnavailable((await Promise.allSettled([kv.get('k')]))[0]!);
  });
});

async function waitUntilWorking(kv: Kv): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await kv.ping();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the kv did not recover within 10 s');
}
