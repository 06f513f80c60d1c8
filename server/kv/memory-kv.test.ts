import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import { describeKvContract } from './testing/kv-contract.js';
import { createMemoryKv } from './memory-kv.js';

describeKvContract('memory kv', async () => {
  const clock = createFixedClock();
  return { kv: createMemoryKv({ clock }), pass: async (ms) => clock.advance(ms) };
});

describe('createMemoryKv', () => {
  it('honours TTLs to the millisecond against the clock', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    await kv.set('k', 'v', 10);
    clock.advance(9_999);
    expect(await kv.get('k')).toBe('v');
    clock.advance(1);
    expect(await kv.get('k')).toBeNull();
  });

  it('sweeps expired keys so memory follows the live keys', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    for (let i = 0; i < 5_000; i++) await kv.set(`old:${i}`, 'x', 1);
    clock.advance(2_000);
    for (let i = 0; i < 10_000; i++) await kv.increment(`new:${i}`, 60);
    // Every expired key is gone after the first sweep that follows their expiry.
    expect(kv.countKeys()).toBe(10_000);
  });

  it('keeps two prefixes apart in one process', async () => {
    const clock = createFixedClock();
    const a = createMemoryKv({ clock }, { keyPrefix: 'a:' });
    await a.set('k', 'from a', 60);
    expect(await createMemoryKv({ clock }, { keyPrefix: 'b:' }).get('k')).toBeNull();
    expect(await a.get('k')).toBe('from a');
  });

  it('refuses a TTL that is not positive: that is a bug, not an outage', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(kv.set('k', 'v', ttl)).rejects.toBeInstanceOf(RangeError);
    }
  });

  it('a subscriber that throws does not keep the message from the others', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    const got: string[] = [];
    await kv.subscribe(
      'c',
      () => {
        throw new Error('boom');
      },
      () => undefined,
    );
    await kv.subscribe(
      'c',
      (m) => got.push(m),
      () => undefined,
    );
    await kv.publish('c', 'm');
    expect(got).toEqual(['m']);
  });

  it('mixing a string and a set under one key is refused as a store error', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    await kv.set('k', 'v', 60);
    await expect(kv.setAdd('k', 'm', 60)).rejects.toBeInstanceOf(StoreUnavailableError);
    await kv.setAdd('s', 'm', 60);
    await expect(kv.get('s')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('refuses every call once closed', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    await kv.close();
    await expect(kv.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(kv.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
