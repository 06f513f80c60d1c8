import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';
import { createHashWorkerPool, DEFAULT_HASH_WORKER_IDLE_MS, hashWorkerSource, type HashWorkerPool } from './hash-workers.js';
import { hashPassword, parseArgon2idHash, verifyPasswordHash } from './password-hash.js';

const CHEAP = TEST_HASH_POLICY.parameters;

/**
 * The real worker program with a hook in front: a check of one of these passwords makes the
 * worker misbehave in that way before argon2 is reached. Every other password is checked for
 * real, so a replaced worker can be seen to work.
 */
const MISBEHAVING_SOURCE = hashWorkerSource(`
  if (job.password === 'exit') process.exit(3);
  if (job.password === 'throw') throw new Error('boom');
  if (job.password === 'string-true') return parentPort.postMessage({ id: job.id, ok: true, value: 'true' });
  if (job.password === 'one') return parentPort.postMessage({ id: job.id, ok: true, value: 1 });
  if (job.password === 'other-id') return parentPort.postMessage({ id: job.id + 1, ok: true, value: true });
  if (job.password === 'hang') return;
`);

let pools: HashWorkerPool[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(pools.map((pool) => pool.close()));
  pools = [];
});

/** Ids of this process's threads now (Linux): a worker that has really ended has left this list. */
const threadIds = () => readdirSync('/proc/self/task');
/** A thread's niceness (Linux), or NaN when it has ended. */
const niceOf = (tid: string) => {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  } catch {
    return Number.NaN;
  }
};

function pool(options: Parameters<typeof createHashWorkerPool>[0]): HashWorkerPool {
  const created = createHashWorkerPool(options);
  pools.push(created);
  return created;
}

describe('createHashWorkerPool', () => {
  it('hashes with the given parameters and verifies only the right password', async () => {
    const hasher = pool({ size: 2 });
    expect(hasher.alive).toBe(0);
    const hash = await hasher.hash('correct horse', CHEAP);
    expect(parseArgon2idHash(hash, TEST_HASH_POLICY)).toEqual({ ok: true, parameters: CHEAP });
    expect(await hasher.verify(hash, 'correct horse')).toBe(true);
    for (const wrong of ['correct horse ', 'Correct horse', '', 'correct horse'.repeat(50)]) expect(await hasher.verify(hash, wrong)).toBe(false);
    // Hashes port both ways with the direct hasher (commands, and stored hashes of before).
    expect(await verifyPasswordHash(await hashPassword('other', TEST_HASH_POLICY), 'other', { policy: TEST_HASH_POLICY, hasher })).toBe(true);
    expect(await verifyPasswordHash(hash, 'correct horse', { policy: TEST_HASH_POLICY })).toBe(true);
    expect(hasher.alive).toBeGreaterThanOrEqual(1);
  });

  it('runs checks in parallel up to its size and queues the rest', async () => {
    const hasher = pool({ size: 2 });
    const hash = await hasher.hash('pw', CHEAP);
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => hasher.verify(hash, i % 3 === 0 ? 'pw' : `pw${i}`)));
    expect(results).toEqual([true, false, false, true, false, false, true, false, false]);
    expect(hasher.alive).toBe(2);
  });

  it.runIf(process.platform === 'linux')('lowers the priority of its worker threads only, not the event loop', async () => {
    const before = new Map(threadIds().map((tid) => [tid, niceOf(tid)]));
    const hasher = pool({ size: 1, niceness: 7 });
    await hasher.verify(await hasher.hash('pw', CHEAP), 'pw');
    const after = threadIds().map((tid) => [tid, niceOf(tid)] as const);
    const reniced = after.filter(([, nice]) => nice === 7);
    expect(reniced).toHaveLength(1);
    expect(before.has(reniced[0]![0])).toBe(false);
    // The process's main thread (tid = pid) keeps its priority.
    expect(niceOf(String(process.pid))).toBe(before.get(String(process.pid)));
  });

  describe('a worker that fails never accepts, and is replaced', () => {
    it.each([
      ['exits', 'exit'],
      ['throws', 'throw'],
    ])('a worker that %s with a check in flight rejects that check, reports it, and the next check runs on a new worker', async (_how, password) => {
      const failures: Error[] = [];
      const hasher = pool({ size: 1, source: MISBEHAVING_SOURCE, onWorkerFailure: (error) => failures.push(error) });
      const hash = await hasher.hash('pw', CHEAP);
      await expect(hasher.verify(hash, password)).rejects.toThrow();
      expect(failures).toHaveLength(1);
      // Through the directory's path the failure is a plain "no", never a match.
      const errors: unknown[] = [];
      expect(await verifyPasswordHash(hash, password, { policy: TEST_HASH_POLICY, hasher, onError: (e) => errors.push(e) })).toBe(false);
      expect(errors).toHaveLength(1);
      expect(await hasher.verify(hash, 'pw')).toBe(true);
      expect(await hasher.verify(hash, 'wrong')).toBe(false);
      expect(hasher.alive).toBe(1);
    });

    it('checks queued behind a crash still run, each on a working worker', async () => {
      const hasher = pool({ size: 1, source: MISBEHAVING_SOURCE });
      const hash = await hasher.hash('pw', CHEAP);
      const settled = await Promise.allSettled([
        hasher.verify(hash, 'exit'),
        hasher.verify(hash, 'pw'),
        hasher.verify(hash, 'exit'),
        hasher.verify(hash, 'nope'),
        hasher.verify(hash, 'pw'),
      ]);
      expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected'))).toEqual(['rejected', true, 'rejected', false, true]);
    });

    it.each([
      ['the string "true"', 'string-true'],
      ['the number 1', 'one'],
    ])('an answer of %s is not a match', async (_what, password) => {
      const hasher = pool({ size: 1, source: MISBEHAVING_SOURCE });
      const hash = await hasher.hash('pw', CHEAP);
      expect(await hasher.verify(hash, password)).toBe(false);
      expect(await verifyPasswordHash(hash, password, { policy: TEST_HASH_POLICY, hasher })).toBe(false);
    });

    it('an answer to another check is refused and the worker replaced', async () => {
      const failures: Error[] = [];
      const hasher = pool({ size: 1, source: MISBEHAVING_SOURCE, onWorkerFailure: (error) => failures.push(error) });
      const hash = await hasher.hash('pw', CHEAP);
      await expect(hasher.verify(hash, 'other-id')).rejects.toThrow(/out of turn/);
      expect(failures).toHaveLength(1);
      expect(await hasher.verify(hash, 'pw')).toBe(true);
    });

    it('a worker that cannot start rejects every check instead of hanging or accepting', async () => {
      const failures: Error[] = [];
      const hasher = pool({ size: 2, source: "require('/nonexistent/argon2-module');", onWorkerFailure: (error) => failures.push(error) });
      const hash = await hashPassword('pw', TEST_HASH_POLICY);
      const settled = await Promise.allSettled([hasher.verify(hash, 'pw'), hasher.verify(hash, 'pw'), hasher.verify(hash, 'pw')]);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(failures.length).toBe(3);
      expect(await verifyPasswordHash(hash, 'pw', { policy: TEST_HASH_POLICY, hasher })).toBe(false);
      await expect(hasher.hash('pw', CHEAP)).rejects.toThrow();
    });
  });

  describe('workers start with the first check and end when idle', () => {
    // Only the pool's own timers are faked: the workers' messages and exits are real events.
    const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

    it('no worker exists before the first check; one starts for it and ends after idleMs without a check', async () => {
      fakeTimers();
      const hasher = pool({ size: 1, idleMs: 30_000 });
      expect(hasher.alive).toBe(0);
      const hash = await hasher.hash('pw', CHEAP);
      expect(await hasher.verify(hash, 'pw')).toBe(true);
      expect(hasher.alive).toBe(1);
      vi.advanceTimersByTime(29_999);
      expect(hasher.alive).toBe(1);
      vi.advanceTimersByTime(1);
      expect(hasher.alive).toBe(0);
      // The next check starts a new worker and is answered as before, both ways.
      expect(await hasher.verify(hash, 'pw')).toBe(true);
      expect(await hasher.verify(hash, 'wrong')).toBe(false);
      expect(hasher.alive).toBe(1);
    });

    it.runIf(process.platform === 'linux')('the thread of an idle worker really ends', async () => {
      fakeTimers();
      // The worker's own thread is told apart by its niceness: counting the process's threads
      // would also count other files' idle workers ending meanwhile (one did: 12, then 12).
      const before = new Set(threadIds());
      const hasher = pool({ size: 1, idleMs: 1000, niceness: 9 });
      await hasher.verify(await hasher.hash('pw', CHEAP), 'pw');
      const worker = threadIds().filter((tid) => !before.has(tid) && niceOf(tid) === 9);
      expect(worker).toHaveLength(1);
      vi.advanceTimersByTime(1000);
      await vi.waitFor(() => expect(threadIds()).not.toContain(worker[0]), { timeout: 30_000, interval: 20 });
    });

    it('each check restarts the idle time: a worker in use is never ended', async () => {
      fakeTimers();
      const hasher = pool({ size: 1, idleMs: 10_000 });
      const hash = await hasher.hash('pw', CHEAP);
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(9_000);
        expect(await hasher.verify(hash, i % 2 ? 'pw' : 'no')).toBe(i % 2 === 1);
      }
      expect(hasher.alive).toBe(1);
    });

    it('a check in flight for longer than idleMs is not cut off', async () => {
      fakeTimers();
      const failures: Error[] = [];
      const hasher = pool({ size: 1, idleMs: 1000, source: MISBEHAVING_SOURCE, onWorkerFailure: (error) => failures.push(error) });
      const hash = await hasher.hash('pw', CHEAP);
      const settled = vi.fn();
      void hasher.verify(hash, 'hang').then(settled, settled);
      vi.advanceTimersByTime(60_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(hasher.alive).toBe(1);
      expect(settled).not.toHaveBeenCalled();
      expect(failures).toEqual([]);
    });

    it('of two workers, the one left idle ends and the busy one stays', async () => {
      fakeTimers();
      const hasher = pool({ size: 2, idleMs: 1000, source: MISBEHAVING_SOURCE });
      const hash = await hasher.hash('pw', CHEAP);
      // Two at once start both workers; then one is held busy.
      await Promise.all([hasher.verify(hash, 'pw'), hasher.verify(hash, 'pw')]);
      expect(hasher.alive).toBe(2);
      void hasher.verify(hash, 'hang').catch(() => {});
      vi.advanceTimersByTime(1000);
      expect(hasher.alive).toBe(1);
      expect(await hasher.verify(hash, 'pw')).toBe(true);
      expect(hasher.alive).toBe(2);
    });

    it('an idle worker ending is not a failure and fails no check', async () => {
      fakeTimers();
      const failures: Error[] = [];
      const hasher = pool({ size: 1, idleMs: 1000, onWorkerFailure: (error) => failures.push(error) });
      const hash = await hasher.hash('pw', CHEAP);
      vi.advanceTimersByTime(1000);
      // The exit event of the ended worker arrives while the next check runs on a new one.
      const results = await Promise.all([hasher.verify(hash, 'pw'), hasher.verify(hash, 'pw ')]);
      expect(results).toEqual([true, false]);
      expect(failures).toEqual([]);
    });

    it('without idleMs, a worker waits DEFAULT_HASH_WORKER_IDLE_MS (a minute) before it ends', async () => {
      fakeTimers();
      const hasher = pool({ size: 1 });
      await hasher.hash('pw', CHEAP);
      vi.advanceTimersByTime(DEFAULT_HASH_WORKER_IDLE_MS - 1);
      expect(hasher.alive).toBe(1);
      vi.advanceTimersByTime(1);
      expect(hasher.alive).toBe(0);
      expect(DEFAULT_HASH_WORKER_IDLE_MS).toBe(60_000);
    });
  });

  it('a worker that runs out of its V8 heap limit fails its check closed and is replaced', async () => {
    const failures: Error[] = [];
    const hoarding = hashWorkerSource(`
      if (job.password === 'hoard') { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); }
    `);
    const hasher = pool({ size: 1, source: hoarding, onWorkerFailure: (error) => failures.push(error) });
    const hash = await hasher.hash('pw', CHEAP);
    await expect(hasher.verify(hash, 'hoard')).rejects.toThrow();
    expect(failures).toHaveLength(1);
    expect(await verifyPasswordHash(hash, 'hoard', { policy: TEST_HASH_POLICY, hasher: pool({ size: 1, source: hoarding }) })).toBe(false);
    expect(await hasher.verify(hash, 'pw')).toBe(true);
  });

  it('close rejects the checks in flight and waiting, and later ones', async () => {
    const hasher = pool({ size: 1, source: MISBEHAVING_SOURCE });
    const hash = await hasher.hash('pw', CHEAP);
    const inFlight = expect(hasher.verify(hash, 'hang')).rejects.toThrow(/closed/);
    const waiting = expect(hasher.verify(hash, 'pw')).rejects.toThrow(/closed/);
    await hasher.close();
    await inFlight;
    await waiting;
    await expect(hasher.verify(hash, 'pw')).rejects.toThrow(/closed/);
    expect(hasher.alive).toBe(0);
  });
});
