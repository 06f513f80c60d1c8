import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_HASH_POLICY } from '../testing/test-password-hash.js';
import { createHashWorkerPool, hashWorkerSource, type HashWorkerPool } from './hash-workers.js';
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
  await Promise.all(pools.map((pool) => pool.close()));
  pools = [];
});

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
    const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const before = new Map(readdirSync('/proc/self/task').map((tid) => [tid, niceOf(tid)]));
    const hasher = pool({ size: 1, niceness: 7 });
    await hasher.verify(await hasher.hash('pw', CHEAP), 'pw');
    const after = readdirSync('/proc/self/task').map((tid) => [tid, niceOf(tid)] as const);
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
