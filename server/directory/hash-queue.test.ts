import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createHashQueue } from './hash-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('hash queue', () => {
  it('runs at most `concurrency` at once and all of them in the end', async () => {
    const queue = createHashQueue({ concurrency: 2 });
    let active = 0;
    let peak = 0;
    const work = async (i: number) => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.run(() => work(i))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(2);
    expect(queue.running).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it('frees the slot when work fails', async () => {
    const queue = createHashQueue({ concurrency: 1 });
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'next')).toBe('next');
  });

  it('refuses at once when too many are waiting, rather than queueing without end', async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 2 });
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((r) => (release = r)));
    const queued = [queue.run(async () => 1), queue.run(async () => 2)];
    await expect(queue.run(async () => 3)).rejects.toBeInstanceOf(StoreUnavailableError);
    release();
    await first;
    expect(await Promise.all(queued)).toEqual([1, 2]);
  });
});
