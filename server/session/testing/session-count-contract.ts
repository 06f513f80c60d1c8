import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import type { SessionStore } from '../session-store.js';
import type { SessionUser } from '../session.js';

export const COUNT_OPTIONS = { idleTimeout: 3600, absoluteTimeout: 12 * 3600, rememberMe: 7 * 86_400, cacheTtl: 10 };
const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Two instances sharing one store, each with its own cache, both driven by `clock`: the count
 * of live sessions must be the same from either, and follow every way a session begins or ends.
 */
export interface CountHarness {
  a: SessionStore;
  b: SessionStore;
  clock: Clock & { advance(ms: number): void };
  /** Resolves once the activity writes started so far have reached the store. */
  settle(): Promise<void>;
}

const user = (username: string): SessionUser => ({ username, displayName: username, email: `${username}@corp.example`, groups: ['staff'] });

/** The live-session count, run against each store (memory in unit tests, Redis in integration tests). */
export function describeSessionCount(name: string, open: () => Promise<CountHarness>): void {
  describe(`${name} — live session count`, () => {
    const signIn = (h: CountHarness, store: SessionStore, username: string, rememberMe = false) =>
      store.create({ user: user(username), factor: { kind: 'password', at: h.clock.now() }, rememberMe });

    it('goes up with each sign-in, on any instance, and reads the same from both', async () => {
      const h = await open();
      expect(await h.a.countLive()).toBe(0);
      await signIn(h, h.a, 'alice');
      await signIn(h, h.b, 'alice');
      await signIn(h, h.a, 'bob');
      expect(await h.a.countLive()).toBe(3);
      expect(await h.b.countLive()).toBe(3);
    });

    it('goes down on sign-out, on revocation by id, and on "sign out everywhere"; a rotation keeps it', async () => {
      const h = await open();
      const one = await signIn(h, h.a, 'alice');
      const two = await signIn(h, h.a, 'alice');
      const three = await signIn(h, h.b, 'alice');
      await signIn(h, h.b, 'bob');
      const four = await signIn(h, h.a, 'carol');
      expect(await h.b.countLive()).toBe(5);
      const rotated = await h.b.rotate(one.token, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at: h.clock.now() }] }));
      expect(rotated).not.toBeNull();
      expect(await h.a.countLive()).toBe(5);
      await h.b.destroy(rotated!.token);
      expect(await h.a.countLive()).toBe(4);
      // Twice, and a token that was never live: nothing more goes.
      await h.a.destroy(rotated!.token);
      await h.a.destroy(one.token);
      expect(await h.a.countLive()).toBe(4);
      expect(await h.a.destroyById('alice', h.a.idOf(two.token)!)).toBe(true);
      expect(await h.b.countLive()).toBe(3);
      expect(await h.b.destroyAllForUser('alice', { keepToken: three.token })).toBe(0);
      expect(await h.a.countLive()).toBe(3);
      expect(await h.b.destroyAllForUser('alice')).toBe(1);
      expect(await h.a.countLive()).toBe(2);
      await h.a.destroy(four.token);
      expect(await h.a.countLive()).toBe(1);
    });

    it('goes down when a session lapses idle, unless activity moved its end', async () => {
      const h = await open();
      const idle = await signIn(h, h.a, 'alice');
      const active = await signIn(h, h.a, 'bob');
      expect(idle.token).not.toBe(active.token);
      h.clock.advance(31 * MIN);
      // Past half the idle window: this read writes the activity back (with its index entry).
      expect(await h.b.read(active.token)).not.toBeNull();
      await h.settle();
      h.clock.advance(30 * MIN);
      expect(await h.a.countLive()).toBe(1);
      h.clock.advance(HOUR);
      expect(await h.a.countLive()).toBe(0);
    });

    it('goes down at the absolute end, activity or not; a remember-me session lasts its own lifetime', async () => {
      const h = await open();
      const normal = await signIn(h, h.a, 'alice');
      await signIn(h, h.a, 'bob', true);
      for (let i = 0; i < 12; i++) {
        h.clock.advance(59 * MIN);
        await h.a.read(normal.token);
        await h.settle();
      }
      expect(await h.b.countLive()).toBe(2);
      h.clock.advance(13 * MIN);
      expect(await h.b.countLive()).toBe(1);
      h.clock.advance(7 * 24 * HOUR);
      expect(await h.b.countLive()).toBe(0);
    });
  });
}
