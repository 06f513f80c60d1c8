import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { startRedisServer, type TestRedisServer } from '../testing/redis-server.js';
import { describeKvContract, eventually } from './testing/kv-contract.js';
import type { Kv } from './kv.js';
import { DeadlineError } from './redis-client.js';
import { createRedisKv } from './redis-kv.js';

/**
 * The deadline under test. These tests tell a deadline from a fast failure by the error, not by
 * the clock: on a busy machine any duration can stretch.
 */
const TIMEOUT_S = 0.5;
/** For tests that are not about the deadline: a busy machine must not fail them by missing it. */
const GENEROUS_TIMEOUT_S = 10;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const realTime = async (ms: number) => sleep(ms);

let redis: TestRedisServer;
const opened: Kv[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function openKv(url = redis.url, keyPrefix = 'test:', timeoutSeconds = TIMEOUT_S) {
  const kv = createRedisKv({ logger: createSilentLogger() }, { url, database: 0, timeoutSeconds, keyPrefix });
  opened.push(kv);
  return kv;
}

async function connectedKv(keyPrefix?: string, timeoutSeconds?: number) {
  const kv = await openKv(undefined, keyPrefix, timeoutSeconds);
  await kv.connect();
  return kv;
}

function expectStoreUnavailable(result: PromiseSettledResult<unknown>): void {
  expect(result.status).toBe('rejected');
  expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
}

/** Failed closed because its deadline passed: Redis did not answer in time. */
function expectDeadline(result: PromiseSettledResult<unknown>): void {
  expectStoreUnavailable(result);
  expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DeadlineError);
}

/** Failed closed at once, without waiting for Redis: no connection to send the command on. */
function expectNotConnected(result: PromiseSettledResult<unknown>): void {
  expectStoreUnavailable(result);
  expect((result as PromiseRejectedResult).reason).not.toBeInstanceOf(DeadlineError);
  expect(((result as PromiseRejectedResult).reason as Error).message).toMatch(/: not connected$/);
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

describeKvContract('redis kv', async () => ({ kv: await connectedKv(undefined, GENEROUS_TIMEOUT_S), pass: realTime }));

describe('createRedisKv against a real Redis', () => {
  it('keeps key prefixes apart: two deployments can share one Redis', async () => {
    const a = await connectedKv('a:', GENEROUS_TIMEOUT_S);
    const b = await connectedKv('b:', GENEROUS_TIMEOUT_S);
    await a.set('k', 'from a', 60);
    expect(await b.get('k')).toBeNull();
    expect(await a.get('k')).toBe('from a');
  });

  it('connect rejects at the timeout when nothing listens, and commands then fail fast', async () => {
    const spare = await startRedisServer();
    await spare.stop();
    const kv = await openKv(spare.url);
    const [connected] = await Promise.allSettled([kv.connect()]);
    expectStoreUnavailable(connected!);
    expect((connected as PromiseRejectedResult).reason.message).toBe(`redis: not connected within ${TIMEOUT_S * 1000} ms`);
    expectNotConnected((await Promise.allSettled([kv.get('k')]))[0]!);
  });

  it('connect rejects at the timeout when Redis is frozen', async () => {
    redis.freeze();
    const kv = await openKv();
    const [connected] = await Promise.allSettled([kv.connect()]);
    expectStoreUnavailable(connected!);
    expect((connected as PromiseRejectedResult).reason.message).toBe(`redis: not connected within ${TIMEOUT_S * 1000} ms`);
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
    const results = await Promise.allSettled(calls);
    for (const r of results) expectStoreUnavailable(r);
    // The first deadline ends them all: the stuck connection is replaced, failing what was sent on it.
    expect(results.some((r) => (r as PromiseRejectedResult).reason instanceof DeadlineError)).toBe(true);
    // The stuck connection was replaced; until the new one is ready, calls fail at once instead of queueing.
    for (let i = 0; i < 20; i++) expectNotConnected((await Promise.allSettled([kv.get('before')]))[0]!);
    redis.thaw();
    await waitUntilWorking(kv);
    expect(await kv.get('before')).toBe('v');
  });

  it('frozen Redis under steady traffic: every call fails closed, by its deadline or at once, and service resumes after thaw', async () => {
    const kv = await connectedKv();
    await kv.set('steady', 'v', 60);
    redis.freeze();
    // A deadline replaces the stuck connection; every call made after that must fail at once
    // (the replacement is not ready) instead of queueing for a deadline of its own.
    let deadlineSeen = false;
    const waves: Promise<{ result: PromiseSettledResult<string | null>; afterDeadline: boolean }>[] = [];
    for (let wave = 0; wave < 15; wave++) {
      for (let i = 0; i < 20; i++) {
        const afterDeadline = deadlineSeen;
        waves.push(
          Promise.allSettled([kv.get('steady')]).then(([result]) => {
            if (result!.status === 'rejected' && result!.reason instanceof DeadlineError) deadlineSeen = true;
            return { result: result!, afterDeadline };
          }),
        );
      }
      await sleep(100);
    }
    const settled = await Promise.all(waves);
    for (const { result, afterDeadline } of settled) {
      if (afterDeadline) expectNotConnected(result);
      else expectStoreUnavailable(result);
    }
    expect(deadlineSeen).toBe(true);
    // 1.5 s of traffic against a 0.5 s deadline: most calls came after the first one passed.
    expect(settled.filter((s) => s.afterDeadline).length).toBeGreaterThan(0);
    redis.thaw();
    await waitUntilWorking(kv);
    expect(await kv.get('steady')).toBe('v');
  });

  it('Redis down for a while: commands reject at once, not at the deadline, and the same client works when it is back', async () => {
    const kv = await connectedKv();
    const restarting = redis.restart({ downMs: 1_000 });
    await sleep(300);
    for (let i = 0; i < 10; i++) expectNotConnected((await Promise.allSettled([kv.set('k', 'v', 60)]))[0]!);
    await restarting;
    await waitUntilWorking(kv);
    await kv.set('k', 'back', 60);
    expect(await kv.get('k')).toBe('back');
  });

  it('stopped Redis: commands reject fast, no crash, and a restart brings the same client back', async () => {
    const kv = await connectedKv();
    await redis.restart(); // an empty Redis on the same port: the old connection is gone
    // Depending on whether the client has noticed yet: an answer, a fast refusal, or the deadline.
    const [result] = await Promise.allSettled([kv.get('k')]);
    if (result!.status === 'rejected') expectStoreUnavailable(result!);
    await waitUntilWorking(kv);
    await kv.set('after-restart', 'v', 60);
    expect(await kv.get('after-restart')).toBe('v');
  });

  it('subscriptions survive a restart, and onReset is called when messages may have been missed', async () => {
    const subscriberKv = await connectedKv();
    const publisherKv = await connectedKv();
    const got: string[] = [];
    let resets = 0;
    await subscriberKv.subscribe(
      'events',
      (m) => got.push(m),
      () => resets++,
    );
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

  it('subscribe rejects at the timeout when Redis is frozen, and registers nothing', async () => {
    const kv = await connectedKv();
    redis.freeze();
    expectDeadline(
      (
        await Promise.allSettled([
          kv.subscribe(
            'frozen',
            () => undefined,
            () => undefined,
          ),
        ])
      )[0]!,
    );
  });

  it('close settles at once even when Redis is frozen, and later calls are refused', async () => {
    const kv = await connectedKv();
    redis.freeze();
    const pending = kv.get('k');
    await kv.close();
    // Ended by the close, not left to its deadline.
    const [ended] = await Promise.allSettled([pending]);
    expectStoreUnavailable(ended!);
    expect((ended as PromiseRejectedResult).reason).not.toBeInstanceOf(DeadlineError);
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
