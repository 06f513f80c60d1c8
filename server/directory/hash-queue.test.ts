import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHashQueue, createLaneCounts, hashLaneOf, type HashQueue, type Queued } from './hash-queue.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A stand-in for argon2 that runs only when told: each check records its label when it starts
 * and finishes when `finishOldest` says so. Order is observed, never time.
 */
function gatedHasher(queue: HashQueue) {
  const started: string[] = [];
  const running: Array<() => void> = [];
  const answers: Array<Promise<Queued<string>>> = [];
  return {
    started,
    answers,
    check(lane: string, label = lane): Promise<Queued<string>> {
      const answer = queue.run(
        lane,
        () =>
          new Promise<string>((resolve) => {
            started.push(label);
            running.push(() => resolve(label));
          }),
      );
      answers.push(answer);
      return answer;
    },
    /** Ends the check that has run longest, and lets the queue start the next. */
    async finishOldest(): Promise<void> {
      running.shift()?.();
      await flush();
    },
    async finishAll(): Promise<void> {
      while (running.length > 0 || queue.waiting > 0) await this.finishOldest();
    },
  };
}

describe('hash queue', () => {
  it('runs at most `concurrency` at once and all of them in the end', async () => {
    const queue = createHashQueue({ concurrency: 2, perLane: 100 });
    let active = 0;
    let peak = 0;
    const work = async (i: number) => {
      active++;
      peak = Math.max(peak, active);
      await flush();
      active--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.run(`10.0.0.${i % 3}`, () => work(i))));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => ({ ok: true, value: i })));
    expect(peak).toBe(2);
    expect(queue.running).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it('frees the slot and the lane place when work fails', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 1 });
    await expect(queue.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run('a', async () => 'next')).toEqual({ ok: true, value: 'next' });
    expect(queue.running).toBe(0);
  });

  it('an honest check from another address starts after at most `concurrency` + 1 checks of a 50-guess burst', async () => {
    for (const concurrency of [1, 2, 3]) {
      const queue = createHashQueue({ concurrency, perLane: 50 });
      const hasher = gatedHasher(queue);
      for (let i = 0; i < 50; i++) void hasher.check('203.0.113.9', `guess-${i}`);
      await flush();
      expect(queue.waiting).toBe(50 - concurrency);
      void hasher.check('198.51.100.7', 'honest');
      while (!hasher.started.includes('honest')) await hasher.finishOldest();
      // The burst's checks already running, then one turn of the burst's lane.
      expect(hasher.started.indexOf('honest'), `concurrency ${concurrency}`).toBe(concurrency + 1);
      await hasher.finishAll();
      expect((await Promise.all(hasher.answers)).every((a) => a.ok)).toBe(true);
    }
  });

  it('with a burst from several addresses, the honest check waits for one turn per busy address at most', async () => {
    const queue = createHashQueue({ concurrency: 2, perLane: 20 });
    const hasher = gatedHasher(queue);
    const guessers = ['203.0.113.1', '203.0.113.2', '2001:db8:bad::1', '203.0.113.4'];
    for (let i = 0; i < 20; i++) for (const lane of guessers) void hasher.check(lane, `guess-${lane}-${i}`);
    await flush();
    void hasher.check('198.51.100.7', 'honest');
    while (!hasher.started.includes('honest')) await hasher.finishOldest();
    expect(hasher.started.indexOf('honest')).toBeLessThanOrEqual(2 + guessers.length);
    await hasher.finishAll();
  });

  it('busy lanes take turns, one check each, and each lane keeps its own order', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 10 });
    const hasher = gatedHasher(queue);
    for (let i = 0; i < 4; i++) void hasher.check('a', `a${i}`);
    for (let i = 0; i < 3; i++) void hasher.check('b', `b${i}`);
    void hasher.check('c', 'c0');
    await hasher.finishAll();
    // a0 was running when the others came; then a, b, c in turn until each is empty.
    expect(hasher.started).toEqual(['a0', 'a1', 'b0', 'c0', 'a2', 'b1', 'a3', 'b2']);
  });

  it('a full lane refuses at once, without delaying or refusing other addresses', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 3 });
    const hasher = gatedHasher(queue);
    const burst = Array.from({ length: 8 }, (_, i) => hasher.check('203.0.113.9', `guess-${i}`));
    await flush();
    // Three held (one running, two waiting); the other five answered already, none of them run.
    const refused = await Promise.all(burst.slice(3));
    expect(refused).toEqual(Array(5).fill({ ok: false, reason: 'lane-full' }));
    expect(hasher.started).toEqual(['guess-0']);
    const honest = hasher.check('198.51.100.7', 'honest');
    await hasher.finishAll();
    expect(await honest).toEqual({ ok: true, value: 'honest' });
    // Running counts against the lane too; once drained, the lane takes checks again.
    expect(await Promise.all(burst.slice(0, 3))).toEqual([0, 1, 2].map((i) => ({ ok: true, value: `guess-${i}` })));
    expect(await queue.run('203.0.113.9', async () => 'again')).toEqual({ ok: true, value: 'again' });
  });

  it('refuses at once when too many wait in all, rather than queueing without end', async () => {
    const queue = createHashQueue({ concurrency: 1, perLane: 5, maxWaiting: 3 });
    const hasher = gatedHasher(queue);
    for (const lane of ['a', 'b', 'c', 'd']) void hasher.check(lane);
    await flush();
    expect(queue.waiting).toBe(3);
    expect(await hasher.check('e')).toEqual({ ok: false, reason: 'queue-full' });
    await hasher.finishOldest();
    // One started, so there is room to wait again.
    const next = hasher.check('e');
    await hasher.finishAll();
    expect(await next).toEqual({ ok: true, value: 'e' });
    expect(hasher.started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  describe('a check that waits too long', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('is refused with waited-too-long after maxWaitMs, frees its places, and the others keep their order', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const laneCounts = createLaneCounts();
      const queue = createHashQueue({ concurrency: 1, perLane: 2, maxWaitMs: 10_000, laneCounts });
      const hasher = gatedHasher(queue);
      const running = hasher.check('a', 'a1');
      const late = hasher.check('b', 'b1');
      const alsoLate = hasher.check('a', 'a2');
      await flush();
      vi.advanceTimersByTime(5_000);
      const onTime = hasher.check('c', 'c1');
      await flush();
      expect(queue.waiting).toBe(3);
      vi.advanceTimersByTime(5_000);
      expect(await late).toEqual({ ok: false, reason: 'waited-too-long' });
      expect(await alsoLate).toEqual({ ok: false, reason: 'waited-too-long' });
      expect(queue.waiting).toBe(1);
      // The refused checks no longer count against their addresses.
      expect(laneCounts.get('b')).toBeUndefined();
      expect(laneCounts.get('a')).toBe(1);
      await hasher.finishOldest();
      expect(await running).toEqual({ ok: true, value: 'a1' });
      expect(hasher.started).toEqual(['a1', 'c1']);
      await hasher.finishAll();
      expect(await onTime).toEqual({ ok: true, value: 'c1' });
      expect(queue.running).toBe(0);
      expect(queue.waiting).toBe(0);
      expect(laneCounts.size).toBe(0);
      // The refused ones were never run.
      expect(hasher.started).toEqual(['a1', 'c1']);
    });

    it('a check that started in time runs to the end however long it takes', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const queue = createHashQueue({ concurrency: 1, perLane: 5, maxWaitMs: 1_000 });
      const hasher = gatedHasher(queue);
      const first = hasher.check('a');
      const second = hasher.check('b');
      await flush();
      vi.advanceTimersByTime(999);
      await hasher.finishOldest();
      vi.advanceTimersByTime(60_000);
      await hasher.finishAll();
      expect(await first).toEqual({ ok: true, value: 'a' });
      expect(await second).toEqual({ ok: true, value: 'b' });
    });

    it('maxWaitMs 0 waits without a limit', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const queue = createHashQueue({ concurrency: 1, perLane: 5, maxWaitMs: 0 });
      const hasher = gatedHasher(queue);
      void hasher.check('a');
      const second = hasher.check('b');
      await flush();
      vi.advanceTimersByTime(3_600_000);
      await hasher.finishAll();
      expect(await second).toEqual({ ok: true, value: 'b' });
    });
  });

  it('queues sharing their lane counts hold an address to one limit across both', async () => {
    const laneCounts = createLaneCounts();
    const argon2 = createHashQueue({ concurrency: 1, perLane: 3, laneCounts });
    const ldap = createHashQueue({ concurrency: 4, perLane: 3, laneCounts });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = [argon2.run('203.0.113.9', () => gate), ldap.run('203.0.113.9', () => gate), ldap.run('203.0.113.9', () => gate)];
    await flush();
    // The address is full in either queue, whichever its next check goes to; other addresses are not.
    expect(await argon2.run('203.0.113.9', async () => 'x')).toEqual({ ok: false, reason: 'lane-full' });
    expect(await ldap.run('203.0.113.9', async () => 'x')).toEqual({ ok: false, reason: 'lane-full' });
    expect(await ldap.run('198.51.100.7', async () => 'other')).toEqual({ ok: true, value: 'other' });
    release();
    await Promise.all(held);
    expect(laneCounts.size).toBe(0);
    expect(await argon2.run('203.0.113.9', async () => 'again')).toEqual({ ok: true, value: 'again' });
  });
});

describe('hashLaneOf', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:0000:0000:0000:0009', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['', ''],
    ['not-an-address', 'not-an-address'],
    ['1:2:3', '1:2:3'],
  ])('%s → %s', (ip, lane) => {
    expect(hashLaneOf(ip)).toBe(lane);
  });
});
