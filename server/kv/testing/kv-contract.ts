import { describe, expect, it } from 'vitest';
import type { Kv } from '../kv.js';

export interface KvHarness {
  kv: Kv;
  /** Lets `ms` of store time pass: a pinned clock moves, a real store is waited for. */
  pass(ms: number): Promise<void>;
}

/**
 * What every Kv must do, run against each implementation (memory in unit tests, Redis in
 * integration tests). `open` gives a fresh harness per test; keys are unique per test.
 */
export function describeKvContract(name: string, open: () => Promise<KvHarness>): void {
  let n = 0;
  const unique = (label: string) => `${label}:${process.pid}:${Date.now()}:${n++}`;

  describe(`${name} — Kv contract`, () => {
    it('get returns what set stored, and null for an absent key', async () => {
      const { kv } = await open();
      const k = unique('get');
      expect(await kv.get(k)).toBeNull();
      await kv.set(k, 'välue ✓ with spaces', 60);
      expect(await kv.get(k)).toBe('välue ✓ with spaces');
    });

    it('a key is invisible once its TTL has passed', async () => {
      const { kv, pass } = await open();
      const k = unique('ttl');
      await kv.set(k, 'v', 0.3);
      await pass(100);
      expect(await kv.get(k)).toBe('v');
      await pass(400);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.take(k)).toBeNull();
      expect(await kv.setIfAbsent(k, 'again', 60)).toBe(true);
    });

    it('take returns the value once and deletes it', async () => {
      const { kv } = await open();
      const k = unique('take');
      await kv.set(k, 'challenge', 60);
      expect(await kv.take(k)).toBe('challenge');
      expect(await kv.take(k)).toBeNull();
      expect(await kv.get(k)).toBeNull();
    });

    it('take is single-use under 20 parallel takes: exactly one winner', async () => {
      const { kv } = await open();
      const k = unique('take-race');
      await kv.set(k, 'once', 60);
      const results = await Promise.all(Array.from({ length: 20 }, () => kv.take(k)));
      expect(results.filter((r) => r === 'once')).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(19);
    });

    it('setIfAbsent lets exactly one of 20 parallel claims win and keeps its value', async () => {
      const { kv } = await open();
      const k = unique('claim');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.setIfAbsent(k, `claimant-${i}`, 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await kv.get(k)).toBe(`claimant-${results.indexOf(true)}`);
    });

    it('setIfPresent replaces an existing key and never creates a missing one', async () => {
      const { kv, pass } = await open();
      const k = unique('present');
      expect(await kv.setIfPresent(k, 'ghost', 60)).toBe(false);
      expect(await kv.get(k)).toBeNull();
      await kv.set(k, 'one', 60);
      expect(await kv.setIfPresent(k, 'two', 0.3)).toBe(true);
      expect(await kv.get(k)).toBe('two');
      await pass(500);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.setIfPresent(k, 'three', 60)).toBe(false);
    });

    it('del removes several keys and accepts none', async () => {
      const { kv } = await open();
      const [a, b] = [unique('del'), unique('del')];
      await kv.set(a, '1', 60);
      await kv.set(b, '2', 60);
      await kv.del();
      await kv.del(a, b, unique('absent'));
      expect([await kv.get(a), await kv.get(b)]).toEqual([null, null]);
    });

    it('increment counts 50 parallel calls exactly, returning each value once', async () => {
      const { kv } = await open();
      const k = unique('counter');
      const values = await Promise.all(Array.from({ length: 50 }, () => kv.increment(k, 60)));
      expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await kv.get(k)).toBe('50');
    });

    it('windowAdd counts 50 parallel events at the same millisecond, each once', async () => {
      const { kv } = await open();
      const k = unique('window-add');
      const at = 1_000_000;
      const values = await Promise.all(Array.from({ length: 50 }, () => kv.windowAdd(k, at, 60_000)));
      expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await kv.windowCount(k, at, 60_000)).toBe(50);
    });

    it('a window slides: events windowMs old no longer count, younger ones still do', async () => {
      const { kv } = await open();
      const k = unique('window-slide');
      await kv.windowAdd(k, 10_000, 5_000);
      await kv.windowAdd(k, 12_000, 5_000);
      expect(await kv.windowCount(k, 14_999, 5_000)).toBe(2);
      expect(await kv.windowCount(k, 15_000, 5_000)).toBe(1);
      expect(await kv.windowAdd(k, 16_000, 5_000)).toBe(2);
      expect(await kv.windowCount(k, 17_000, 5_000)).toBe(1);
      await kv.del(k);
      expect(await kv.windowCount(k, 16_000, 5_000)).toBe(0);
      expect(await kv.windowCount(unique('window-none'), 16_000, 5_000)).toBe(0);
    });

    it('windowReserve gives exactly `limit` of 50 parallel callers a place, and windowRemove gives one back', async () => {
      const { kv } = await open();
      const places = unique('places');
      const window = { places, events: unique('events'), eventsMs: 60_000, limit: 5 };
      const at = 1_000_000;
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.windowReserve([window], `attempt-${i}`, at, 30_000)));
      expect(answers.filter((a) => a === -1)).toHaveLength(5);
      expect(answers.filter((a) => a === 0)).toHaveLength(45);
      expect(await kv.windowCount(places, at, 30_000)).toBe(5);
      const holders = answers.flatMap((a, i) => (a === -1 ? [`attempt-${i}`] : []));
      await kv.windowRemove(places, holders[0]!);
      // Giving back twice, a place never taken, or from an absent window changes nothing.
      await kv.windowRemove(places, holders[0]!);
      await kv.windowRemove(places, 'never-placed');
      await kv.windowRemove(unique('absent'), holders[1]!);
      expect(await kv.windowCount(places, at, 30_000)).toBe(4);
      expect(await kv.windowReserve([window], 'late-1', at, 30_000)).toBe(-1);
      expect(await kv.windowReserve([window], 'late-2', at, 30_000)).toBe(0);
    });

    it('windowReserve counts the events of the window beside it, and places lapse after placeMs', async () => {
      const { kv } = await open();
      const window = { places: unique('places'), events: unique('events'), eventsMs: 10_000, limit: 4 };
      for (const t of [1_000, 2_000, 3_000]) await kv.windowAdd(window.events, t, 10_000);
      expect(await kv.windowReserve([window], 'a', 5_000, 3_000)).toBe(-1);
      expect(await kv.windowReserve([window], 'b', 5_000, 3_000)).toBe(0);
      // The place taken at 5 000 lapses at 8 000; the event of 1 000 leaves the window at 11 000.
      expect(await kv.windowReserve([window], 'c', 7_999, 3_000)).toBe(0);
      expect(await kv.windowReserve([window], 'd', 8_000, 3_000)).toBe(-1);
      expect(await kv.windowReserve([window], 'e', 10_999, 3_000)).toBe(0);
      expect(await kv.windowReserve([window], 'f', 11_000, 3_000)).toBe(-1);
    });

    it('windowReserve takes places in every window or in none, and names the first full one', async () => {
      const { kv } = await open();
      const wide = { places: unique('wide'), events: unique('wide-events'), eventsMs: 60_000, limit: 10 };
      const narrow = { places: unique('narrow'), events: unique('narrow-events'), eventsMs: 60_000, limit: 2 };
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await kv.windowReserve([wide, narrow], `m${i}`, 1_000, 60_000));
      expect(answers).toEqual([-1, -1, 1, 1]);
      expect(await kv.windowCount(wide.places, 1_000, 60_000)).toBe(2);
      const full = { ...wide, limit: 2 };
      expect(await kv.windowReserve([full, narrow], 'm9', 1_000, 60_000)).toBe(0);
      expect(await kv.windowReserve([narrow, full], 'm9', 1_000, 60_000)).toBe(0);
      expect(await kv.windowReserve([{ ...wide, limit: 3 }], 'm9', 1_000, 60_000)).toBe(-1);
    });

    it('increment sets the TTL when the counter is created and does not extend it', async () => {
      const { kv, pass } = await open();
      const k = unique('window');
      expect(await kv.increment(k, 0.5)).toBe(1);
      await pass(300);
      expect(await kv.increment(k, 0.5)).toBe(2);
      await pass(350);
      // The window started with the first increment: 650 ms later it is over.
      expect(await kv.increment(k, 0.5)).toBe(1);
    });

    it('setAdd collects members; setRemove removes one', async () => {
      const { kv } = await open();
      const k = unique('set');
      await kv.setAdd(k, 'a', 60);
      await kv.setAdd(k, 'b', 60);
      await kv.setAdd(k, 'a', 60);
      expect((await kv.setMembers(k)).sort()).toEqual(['a', 'b']);
      await kv.setRemove(k, 'a');
      await kv.setRemove(k, 'absent');
      expect(await kv.setMembers(k)).toEqual(['b']);
      expect(await kv.setMembers(unique('empty'))).toEqual([]);
    });

    it('setAdd extends the TTL but never shortens it', async () => {
      const { kv, pass } = await open();
      const [longFirst, extended, alone] = [unique('set-long'), unique('set-ext'), unique('set-alone')];
      // Long TTLs where a member must still be there, short ones where it must be gone: a slow
      // machine only lengthens the wait (real stores at load 30 once outslept a 300-ms margin).
      await kv.setAdd(longFirst, 'remember-me', 60);
      await kv.setAdd(longFirst, 'short', 0.3);
      await kv.setAdd(extended, 'x', 2);
      await kv.setAdd(extended, 'y', 60);
      await kv.setAdd(alone, 'z', 0.3);
      await pass(2500);
      // Not shortened to 0.3 s; extended past x's 2 s; and a set's TTL does end.
      expect((await kv.setMembers(longFirst)).sort()).toEqual(['remember-me', 'short']);
      expect((await kv.setMembers(extended)).sort()).toEqual(['x', 'y']);
      expect(await kv.setMembers(alone)).toEqual([]);
    });

    it('publish reaches every subscriber of the channel and only them; unsubscribe stops it', async () => {
      const { kv, pass } = await open();
      const channel = unique('channel');
      const got: string[] = [];
      const other: string[] = [];
      const stopA = await kv.subscribe(
        channel,
        (m) => got.push(`a:${m}`),
        () => undefined,
      );
      const stopB = await kv.subscribe(
        channel,
        (m) => got.push(`b:${m}`),
        () => undefined,
      );
      const stopOther = await kv.subscribe(
        unique('channel'),
        (m) => other.push(m),
        () => undefined,
      );
      await kv.publish(channel, 'hello');
      await eventually(pass, () => expect(got.sort()).toEqual(['a:hello', 'b:hello']));
      await stopA();
      await kv.publish(channel, 'again');
      await eventually(pass, () => expect(got).toContain('b:again'));
      expect(got).not.toContain('a:again');
      expect(other).toEqual([]);
      await stopB();
      await stopOther();
    });

    it('an indexed set files the key in an expiry index; indexCount counts members lapsing after now', async () => {
      const { kv } = await open();
      const [index, a, b] = [unique('index'), unique('a'), unique('b')];
      const now = 1_000_000;
      await kv.set(a, 'A', 60, { key: index, member: 'm-a', expiresAtMs: now + 60_000 });
      await kv.set(b, 'B', 120, { key: index, member: 'm-b', expiresAtMs: now + 120_000 });
      expect(await kv.get(a)).toBe('A');
      expect(await kv.indexCount(index, now)).toBe(2);
      expect(await kv.indexCount(index, now + 60_000)).toBe(1);
      // Lapsed members are forgotten, not just skipped: an earlier now does not bring them back.
      expect(await kv.indexCount(index, now)).toBe(1);
      expect(await kv.indexCount(unique('absent'), now)).toBe(0);
    });

    it('an indexed setIfPresent moves the member only when the key was there', async () => {
      const { kv } = await open();
      const [index, k, ghost] = [unique('index'), unique('present'), unique('ghost')];
      const now = 2_000_000;
      await kv.set(k, 'v1', 60, { key: index, member: 'k', expiresAtMs: now + 10_000 });
      expect(await kv.setIfPresent(k, 'v2', 60, { key: index, member: 'k', expiresAtMs: now + 50_000 })).toBe(true);
      expect(await kv.get(k)).toBe('v2');
      expect(await kv.setIfPresent(ghost, 'v', 60, { key: index, member: 'ghost', expiresAtMs: now + 50_000 })).toBe(false);
      expect(await kv.get(ghost)).toBeNull();
      expect(await kv.indexCount(index, now + 20_000)).toBe(1);
      expect(await kv.indexCount(index, now + 50_000)).toBe(0);
    });

    it('an indexed set forgets members lapsed by its own time; indexRemove takes one out', async () => {
      const { kv } = await open();
      const index = unique('index');
      const now = 3_000_000;
      await kv.set(unique('old'), 'x', 60, { key: index, member: 'old', expiresAtMs: now + 1000 });
      await kv.set(unique('kept'), 'x', 60, { key: index, member: 'kept', expiresAtMs: now + 500_000 });
      // Written at now + 200 s (expiry - ttl): "old" lapsed 199 s before.
      await kv.set(unique('new'), 'x', 60, { key: index, member: 'new', expiresAtMs: now + 260_000 });
      expect(await kv.indexCount(index, 0)).toBe(2);
      await kv.indexRemove(index, 'kept');
      await kv.indexRemove(index, 'never-there');
      expect(await kv.indexCount(index, 0)).toBe(1);
    });

    it('ping answers', async () => {
      const { kv } = await open();
      await expect(kv.ping()).resolves.toBeUndefined();
    });
  });
}

/** Retries an assertion while letting store time pass, for deliveries that are asynchronous. */
export async function eventually(pass: (ms: number) => Promise<void>, check: () => void, tries = 50): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return check();
    } catch (error) {
      if (i >= tries) throw error;
      await pass(20);
    }
  }
}
