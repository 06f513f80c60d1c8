import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { startSentinelSet, type TestSentinelSet } from '../testing/redis-sentinel.js';
import { describeKvContract, eventually } from './testing/kv-contract.js';
import type { Kv } from './kv.js';
import { createRedisKv, RedisEvictionPolicyError } from './redis-kv.js';

/**
 * The Kv through Redis Sentinel: a real master, replica and three sentinels, with passwords on
 * both (the data nodes' and the sentinels' own). The failover itself is timed by the fault
 * suite (server/faults/redis-failover.int.test.ts); here: that it is followed at all, that
 * nothing answers wrongly meanwhile, and that subscriptions come through it.
 */
const DATA_PASSWORD = 'data-node-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
/** Generous: the tests are about what happens, not how fast, on a shared 2-core machine. */
const TIMEOUT_S = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const realTime = (ms: number) => sleep(ms);

let set: TestSentinelSet;
const opened: Kv[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function openKv(overrides: { sentinelPassword?: string; timeoutSeconds?: number; keyPrefix?: string } = {}) {
  const kv = createRedisKv(
    { logger: createSilentLogger() },
    {
      url: 'redis://ignored.invalid:1',
      sentinel: { masterName: set.masterName, nodes: set.sentinels, password: overrides.sentinelPassword ?? SENTINEL_PASSWORD },
      password: DATA_PASSWORD,
      database: 0,
      timeoutSeconds: overrides.timeoutSeconds ?? TIMEOUT_S,
      keyPrefix: overrides.keyPrefix ?? 'sentinel-test:',
    },
  );
  opened.push(kv);
  return kv;
}

async function connectedKv(overrides?: Parameters<typeof openKv>[0]) {
  const kv = openKv(overrides);
  await kv.connect();
  return kv;
}

/** A client of the test's own on the current master, for what Gatehouse must not do itself. */
async function onMaster<T>(use: (client: { sendCommand(args: string[]): Promise<unknown> }) => Promise<T>): Promise<T> {
  const client = createClient({ socket: { host: '127.0.0.1', port: await set.masterPort(), reconnectStrategy: false }, password: DATA_PASSWORD });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  set = await startSentinelSet({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((kv) => kv.close()));
  expect(unhandled).toEqual([]);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await set?.stop();
});

describeKvContract('redis kv through sentinel', async () => ({ kv: await connectedKv(), pass: realTime }));

describe('createRedisKv with redis.sentinel', () => {
  it('refuses to connect with a wrong sentinel password, and every command fails closed', async () => {
    const kv = openKv({ sentinelPassword: 'wrong', timeoutSeconds: 1 });
    await expect(kv.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    const results = await Promise.allSettled([kv.get('k'), kv.setIfAbsent('k', 'v', 60), kv.take('k'), kv.increment('n', 60), kv.ping()]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
  });

  it('checks the eviction policy on the master the sentinels name', async () => {
    await onMaster((c) => c.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']));
    try {
      const kv = openKv();
      await expect(kv.connect()).rejects.toBeInstanceOf(RedisEvictionPolicyError);
    } finally {
      await onMaster((c) => c.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']));
    }
  });

  it('a subscription connection dropped and restored on the same master: onReset runs, and later messages arrive', async () => {
    const subscriber = await connectedKv();
    const publisher = await connectedKv();
    const got: string[] = [];
    let resets = 0;
    await subscriber.subscribe(
      'events',
      (m) => got.push(m),
      () => resets++,
    );
    await publisher.publish('events', 'one');
    await eventually(realTime, () => expect(got).toEqual(['one']), 200);
    expect(resets).toBe(0);

    // What a network blip does: the master drops every subscribed connection; no failover follows.
    await onMaster((c) => c.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
    await eventually(realTime, () => expect(resets).toBeGreaterThanOrEqual(1), 500);
    // Once onReset has run, nothing published is missed any more.
    await publisher.publish('events', 'two');
    await eventually(realTime, () => expect(got).toContain('two'), 200);
  });

  // Last: it moves the master for good.
  it('the master killed: commands fail closed meanwhile, the same Kv follows the failover, WAITed data and subscriptions survive', async () => {
    // A deadline shorter than any failover (the sentinels wait 1 s before they call the master down).
    const kv = await connectedKv({ timeoutSeconds: 1 });
    const other = await connectedKv();
    const got: string[] = [];
    let resets = 0;
    await kv.subscribe(
      'failover',
      (m) => got.push(m),
      () => resets++,
    );
    await kv.set('session:a', 'alice', 600);
    expect(await kv.setIfAbsent('claim:code-1', 'used', 600)).toBe(true);
    await set.syncReplica();

    const oldPort = await set.killMaster();
    // Traffic during the failover: every answer is right or a StoreUnavailableError, never a wrong value.
    const wrong: unknown[] = [];
    let failedClosed = 0;
    let newPort: number | undefined;
    const failover = set.waitForNewMaster(oldPort).then((port) => (newPort = port));
    while (newPort === undefined) {
      const [read, claim] = await Promise.allSettled([kv.get('session:a'), kv.setIfAbsent('claim:code-1', 'again', 600)]);
      for (const [result, right] of [
        [read, 'alice'],
        [claim, false],
      ] as const) {
        if (result.status === 'fulfilled' && result.value !== right) wrong.push(result.value);
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(StoreUnavailableError);
          failedClosed++;
        }
      }
      await sleep(50);
    }
    await failover;
    expect(newPort).not.toBe(oldPort);
    expect(wrong).toEqual([]);
    expect(failedClosed).toBeGreaterThan(0);

    // Back without reconnecting by hand: the same Kv objects reach the new master.
    for (let i = 0; i < 400; i++) {
      if ((await kv.get('session:a').catch(() => undefined)) === 'alice') break;
      await sleep(50);
    }
    expect(await kv.get('session:a')).toBe('alice');
    expect(await kv.setIfAbsent('claim:code-1', 'again', 600)).toBe(false);
    // The other Kv follows on its own connection, which on a busy machine can come back later.
    for (let i = 0; i < 400; i++) {
      if ((await other.get('session:a').catch(() => undefined)) === 'alice') break;
      await sleep(50);
    }
    expect(await other.take('session:a')).toBe('alice');
    // Messages published during the gap may be lost: the subscriber was told to start afresh.
    await eventually(realTime, () => expect(resets).toBeGreaterThanOrEqual(1), 500);
    await other.publish('failover', 'after');
    await eventually(realTime, () => expect(got).toContain('after'), 200);

    await set.restartNode(oldPort);
  });
});
