import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import type { Kv } from '../kv/kv.js';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { createRedisKv, ReplicationUnconfirmedError } from '../kv/redis-kv.js';
import { PORTAL, startGatewayHarness } from '../testing/gateway-harness.js';
import { cookieFrom, csrfFieldOf } from '../testing/http-client.js';
import { startSentinelSet, type TestSentinelSet } from '../testing/redis-sentinel.js';

/**
 * Fault suite: single-use claims under asynchronous replication, on a real master, replica and
 * three sentinels. With redis.sentinel.min_replicas_acknowledged a `replicated` claim counts
 * only once the replica has confirmed it (WAIT), so a failover cannot bring a used code back;
 * without a confirmation the claim fails closed.
 *
 * What this cannot show deterministically: a claim *without* WAIT being lost in a failover. On
 * loopback the replica has the write well under a millisecond later, and a frozen replica
 * (SIGSTOP) still finds the write in its socket buffer when it runs again, so that loss cannot
 * be staged on cue. The frozen-replica case below is the one that fails without the WAIT: the
 * claim would be answered true while no replica has it.
 */
const DATA_PASSWORD = 'data-node-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
/** Generous, for a loaded 2-core machine: the tests are about outcomes, not speed. */
const TIMEOUT_S = 4;
const WAIT_MS = 1000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let set: TestSentinelSet;
const opened: Kv[] = [];

async function connectedKv(minReplicasAcknowledged: number): Promise<Kv> {
  const kv = createRedisKv(
    { logger: createSilentLogger() },
    {
      url: 'redis://ignored.invalid:1',
      sentinel: { masterName: set.masterName, nodes: set.sentinels, password: SENTINEL_PASSWORD, minReplicasAcknowledged, waitTimeoutMs: WAIT_MS },
      password: DATA_PASSWORD,
      database: 0,
      timeoutSeconds: TIMEOUT_S,
      keyPrefix: 'claims-test:',
    },
  );
  opened.push(kv);
  await kv.connect();
  return kv;
}

async function replicaPort(): Promise<number> {
  const master = await set.masterPort();
  return set.dataPorts.find((port) => port !== master)!;
}

/** Reads a key straight from a data node, as the node sees it now. */
async function readOn(port: number, key: string): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, password: DATA_PASSWORD });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(['GET', `claims-test:${key}`]);
  } finally {
    client.destroy();
  }
}

/** Retries `attempt` while it fails closed (the gap of a failover); returns its first answer. */
async function firstAnswer<T>(attempt: () => Promise<T>, tries = 300): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      if (i >= tries) throw error;
      await sleep(100);
    }
  }
}

beforeAll(async () => {
  set = await startSentinelSet({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  // The replica's first sync may still be under way; until it is, no claim could be confirmed.
  await set.syncReplica();
}, 120_000); // a ceiling: five processes to start and a first sync on a busy machine

afterEach(async () => {
  await Promise.all(opened.splice(0).map((kv) => kv.close()));
});

afterAll(async () => {
  await set?.stop();
});

describe('replicated claims with redis.sentinel.min_replicas_acknowledged: 1', () => {
  it('the replica confirms: a claim and a take count once, and the replica holds the claim when they answer', async () => {
    const kv = await connectedKv(1);
    const replica = await replicaPort();
    expect(await kv.setIfAbsent('otp-used:d1:100', '1', 600, { replicated: true })).toBe(true);
    expect(await readOn(replica, 'otp-used:d1:100')).toBe('1');
    expect(await kv.setIfAbsent('otp-used:d1:100', '1', 600, { replicated: true })).toBe(false);

    await kv.set('webauthn:challenge:b1', 'challenge-1', 600);
    expect(await kv.take('webauthn:challenge:b1', { replicated: true })).toBe('challenge-1');
    expect(await readOn(replica, 'webauthn:challenge:b1')).toBeNull();
    expect(await kv.take('webauthn:challenge:b1', { replicated: true })).toBeNull();
  });

  it('the replica frozen: claims and takes fail closed, what the master already refuses stays refused, session reads go on', async () => {
    const kv = await connectedKv(1);
    const unconfirmed = await connectedKv(0);
    await kv.set('session:s1', 'alice', 600);
    await kv.set('webauthn:challenge:b2', 'challenge-2', 600);
    expect(await kv.setIfAbsent('otp-used:d2:7', '1', 600, { replicated: true })).toBe(true);
    const replica = await replicaPort();
    set.pauseNode(replica);
    try {
      let settled = false;
      const claim = kv.setIfAbsent('otp-used:d2:8', '1', 600, { replicated: true }).finally(() => (settled = true));
      const take = kv.take('webauthn:challenge:b2', { replicated: true });
      // Its refusal is expected now, so it is never an unhandled rejection while the claim is awaited.
      const takeRefused = expect(take).rejects.toBeInstanceOf(ReplicationUnconfirmedError);
      // The hot path is on its own connection: a session read answers while the claim waits.
      expect(await kv.get('session:s1')).toBe('alice');
      expect(settled).toBe(false);
      await expect(claim).rejects.toBeInstanceOf(ReplicationUnconfirmedError);
      await takeRefused;
      await expect(claim).rejects.toBeInstanceOf(StoreUnavailableError);

      // The master did both: the code stays used and the challenge gone, so a retry is refused
      // (a refusal needs no confirmation); a claim of a used code is refused too.
      expect(await kv.setIfAbsent('otp-used:d2:8', '1', 600, { replicated: true })).toBe(false);
      expect(await kv.setIfAbsent('otp-used:d2:7', '1', 600, { replicated: true })).toBe(false);
      expect(await kv.take('webauthn:challenge:b2', { replicated: true })).toBeNull();
      // Every other write, and a Kv without the setting, does not wait for replicas.
      await kv.set('session:s2', 'bob', 600);
      expect(await kv.increment('failures:alice', 600)).toBe(1);
      expect(await unconfirmed.setIfAbsent('otp-used:d2:9', '1', 600, { replicated: true })).toBe(true);
    } finally {
      set.resumeNode(replica);
    }
    // Back: new claims are confirmed again.
    expect(await firstAnswer(() => kv.setIfAbsent('otp-used:d2:10', '1', 600, { replicated: true }))).toBe(true);
  });

  it('many parallel claims and takes with the replica frozen: none gets a code or a challenge through', async () => {
    const kv = await connectedKv(1);
    const codes = Array.from({ length: 4 }, (_, i) => `race:code:${i}`);
    const challenges = Array.from({ length: 4 }, (_, i) => `race:challenge:${i}`);
    for (const k of challenges) await kv.set(k, 'challenge', 600);
    const replica = await replicaPort();
    set.pauseNode(replica);
    try {
      // Each key twice, in parallel: one call does the write and fails closed, the other meets the
      // master's refusal, or misses its deadline queued behind the waiting claims.
      const calls = [0, 1].flatMap(() => [...codes.map((k) => kv.setIfAbsent(k, '1', 600, { replicated: true })), ...challenges.map((k) => kv.take(k, { replicated: true }))]);
      const results = await Promise.allSettled(calls);
      const through = results.filter((r) => r.status === 'fulfilled' && r.value !== false && r.value !== null);
      expect(through).toEqual([]);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThanOrEqual(codes.length + challenges.length);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(StoreUnavailableError);
    } finally {
      set.resumeNode(replica);
    }
  });

  it('through the gateway: a right TOTP code with the replica frozen fails closed with the "try again" page, and is not taken again after', async () => {
    const h = await startGatewayHarness({
      configure: (c) => {
        (c as { redis: unknown }).redis = {
          sentinel: {
            master_name: set.masterName,
            nodes: set.sentinels.map((n) => `${n.host}:${n.port}`),
            password: SENTINEL_PASSWORD,
            min_replicas_acknowledged: 1,
            wait_timeout: `${WAIT_MS}ms`,
          },
          password: DATA_PASSWORD,
          timeout: `${TIMEOUT_S}s`,
        };
      },
    });
    const replica = await replicaPort();
    try {
      const secret = Buffer.alloc(20, 7);
      const device = await h.gateway.ctx.storage.otpDevices.create(
        { username: 'alice', kind: 'totp', name: 'Phone', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
        Date.now(),
      );
      const cookie = await h.signIn('alice');
      const page = await h.request({ path: '/second-factor', host: PORTAL, headers: { cookie } });
      const csrf = csrfFieldOf(page.body)!;
      const code = generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
      const submit = () =>
        h.request({
          method: 'POST',
          path: '/second-factor',
          host: PORTAL,
          headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, device: device.id, code }).toString(),
        });
      set.pauseNode(replica);
      let frozen: Awaited<ReturnType<typeof submit>>;
      try {
        frozen = await submit();
      } finally {
        set.resumeNode(replica);
      }
      expect(frozen.status).toBe(503);
      expect(frozen.body).toContain('Try again in a few minutes');
      expect(cookieFrom(frozen, 'gatehouse_session')).toBeUndefined();
      // The master kept the claim: the same code, once the replica is back, is not let through.
      const again = await submit();
      expect(again.status).not.toBe(303);
      expect(cookieFrom(again, 'gatehouse_session')).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  // Last: it moves the master for good.
  it('a confirmed claim survives the master killed right after it: the code is refused on the new master', async () => {
    const kv = await connectedKv(1);
    expect(await kv.setIfAbsent('otp-used:d3:1', '1', 600, { replicated: true })).toBe(true);
    await kv.set('push:approval:p1', 'pending', 600);
    expect(await kv.take('push:approval:p1', { replicated: true })).toBe('pending');
    const oldPort = await set.killMaster();
    await set.waitForNewMaster(oldPort);

    // The replay attempt, through the same Kv once it reaches the new master.
    expect(await firstAnswer(() => kv.setIfAbsent('otp-used:d3:1', '1', 600, { replicated: true }))).toBe(false);
    expect(await kv.take('push:approval:p1', { replicated: true })).toBeNull();
    // The new master has no replica yet: a new claim cannot be confirmed and fails closed.
    await expect(kv.setIfAbsent('otp-used:d3:2', '1', 600, { replicated: true })).rejects.toBeInstanceOf(ReplicationUnconfirmedError);
    // The old node back as a replica: claims are confirmed again, without a restart.
    await set.restartNode(oldPort);
    let answer: boolean | undefined;
    for (let i = 0; i < 60 && answer === undefined; i++) {
      answer = await kv.setIfAbsent(`otp-used:d3:${3 + i}`, '1', 600, { replicated: true }).catch(() => undefined);
    }
    expect(answer).toBe(true);
  });
});
