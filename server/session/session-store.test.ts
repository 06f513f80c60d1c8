import { describe, expect, it } from 'vitest';
import { COUNT_OPTIONS, describeSessionCount } from './testing/session-count-contract.js';
import { createFixedClock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { hashToken } from '../core/random.js';
import type { Kv } from '../kv/kv.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createSessionStore, type SessionStore, type SessionStoreOptions } from './session-store.js';
import type { SessionUser } from './session.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const OPTIONS: SessionStoreOptions = { idleTimeout: 3600, absoluteTimeout: 12 * 3600, rememberMe: 30 * 86400, cacheTtl: 10 };

const alice: SessionUser = { username: 'alice', displayName: 'Alice', email: 'alice@example.com', groups: ['staff'] };
const bob: SessionUser = { username: 'bob', displayName: 'Bob', email: 'bob@example.com', groups: [] };

/** A Kv that counts calls by method and can be made to fail or hold its answers. */
function instrument(kv: Kv) {
  const calls: string[] = [];
  let failing = false;
  const wrapped = new Proxy(kv, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        if (failing) return Promise.reject(new StoreUnavailableError('test: store down'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    kv: wrapped,
    calls,
    /** Calls made while running `fn`, by method name. */
    async during(fn: () => Promise<unknown>): Promise<string[]> {
      const from = calls.length;
      await fn();
      return calls.slice(from);
    },
    fail(on: boolean) {
      failing = on;
    },
  };
}

async function setup(options: Partial<SessionStoreOptions> = {}) {
  const clock = createFixedClock();
  const memory = createMemoryKv({ clock });
  const counted = instrument(memory);
  const store = createSessionStore({ kv: counted.kv, clock, logger: createSilentLogger() }, { ...OPTIONS, ...options });
  await store.whenSubscribed();
  const signIn = (user = alice, rememberMe = false) => store.create({ user, factor: { kind: 'password', at: clock.now() }, rememberMe });
  return { clock, memory, counted, store, signIn };
}

describe('createSessionStore: create and read', () => {
  it('issues a 43-character token and stores the session under its hash, never the token', async () => {
    const { store, memory, signIn } = await setup();
    const { token, session } = await signIn();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await memory.get(`session:${token}`)).toBeNull();
    const stored = await memory.get(`session:${hashToken(token)}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(token);
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrf).not.toBe(token);
    expect(await store.read(token)).toEqual(session);
  });

  it('gives every session its own token and CSRF value', async () => {
    const { signIn } = await setup();
    const made = await Promise.all(Array.from({ length: 20 }, () => signIn()));
    expect(new Set(made.map((m) => m.token)).size).toBe(20);
    expect(new Set(made.map((m) => m.session.csrf)).size).toBe(20);
  });

  it('returns null for an unknown token of the right shape', async () => {
    const { store } = await setup();
    expect(await store.read('A'.repeat(42) + 'A')).toBeNull();
  });

  it.each([
    '',
    'short',
    'A'.repeat(42),
    'A'.repeat(44),
    'A'.repeat(42) + '=',
    '+'.repeat(43),
    '/'.repeat(43),
    ' '.repeat(43),
    'é'.repeat(43),
    'A'.repeat(10_000),
    'A'.repeat(42) + '\n',
  ])('returns null for a malformed token %# without asking the store', async (token) => {
    const { store, counted } = await setup();
    expect(await counted.during(async () => expect(await store.read(token)).toBeNull())).toEqual([]);
  });

  it.each([undefined, null, 42, {}, ['x']])('returns null for a non-string token %j', async (token) => {
    const { store } = await setup();
    expect(await store.read(token as unknown as string)).toBeNull();
  });
});

describe('createSessionStore: idle and absolute timeouts', () => {
  it('ends a session left idle for the idle timeout', async () => {
    const { store, clock, signIn } = await setup();
    const { token } = await signIn();
    clock.advance(HOUR - 1);
    expect(await store.read(token)).not.toBeNull();
    clock.advance(HOUR);
    expect(await store.read(token)).toBeNull();
  });

  it('keeps an active session past the idle timeout', async () => {
    const { store, clock, signIn } = await setup();
    const { token } = await signIn();
    for (let i = 0; i < 10; i++) {
      clock.advance(35 * MIN);
      expect(await store.read(token)).not.toBeNull();
    }
  });

  it('ends even an active session at the absolute timeout', async () => {
    const { store, clock, signIn } = await setup();
    const { token, session } = await signIn();
    while (clock.now() + 30 * MIN < session.expiresAt) {
      clock.advance(30 * MIN);
      expect(await store.read(token)).not.toBeNull();
    }
    clock.set(session.expiresAt - 1);
    expect(await store.read(token)).not.toBeNull();
    clock.set(session.expiresAt);
    expect(await store.read(token)).toBeNull();
  });

  it('never serves a cached session past its end', async () => {
    const { store, clock, signIn } = await setup({ cacheTtl: 3600, idleTimeout: 60, absoluteTimeout: 120 });
    const { token } = await signIn();
    expect(await store.read(token)).not.toBeNull();
    clock.advance(60_000);
    expect(await store.read(token)).toBeNull();
  });

  it('a remember-me session outlives the normal idle and absolute timeouts, up to its own lifetime', async () => {
    const { store, clock, signIn } = await setup();
    const { token, session } = await signIn(alice, true);
    expect(session.rememberMe).toBe(true);
    expect(session.expiresAt - session.createdAt).toBe(30 * DAY);
    clock.advance(3 * DAY); // browser closed over a weekend
    expect(await store.read(token)).not.toBeNull();
    clock.set(session.expiresAt);
    expect(await store.read(token)).toBeNull();
  });

  it('remember-me is ignored when the option is off', async () => {
    const { store, clock, signIn } = await setup({ rememberMe: 0 });
    const { token, session } = await signIn(alice, true);
    expect(session.rememberMe).toBe(false);
    expect(session.expiresAt - session.createdAt).toBe(12 * HOUR);
    clock.advance(HOUR);
    expect(await store.read(token)).toBeNull();
  });
});

describe('createSessionStore: cache and activity writes', () => {
  it('a warm read makes zero store calls; a cold read makes exactly one', async () => {
    const { store, clock, counted, signIn } = await setup();
    const { token } = await signIn();
    expect(await counted.during(() => store.read(token))).toEqual(['get']);
    for (let i = 0; i < 50; i++) expect(await counted.during(() => store.read(token))).toEqual([]);
    clock.advance(10_000);
    expect(await counted.during(() => store.read(token))).toEqual(['get']);
    expect(await counted.during(() => store.read(token))).toEqual([]);
  });

  it('records activity at most once per half idle window, never on every request', async () => {
    const { store, clock, counted, signIn } = await setup();
    const { token } = await signIn();
    const writes = () => counted.calls.filter((c) => c === 'setIfPresent' || c === 'set').length;
    const before = writes();
    for (let i = 0; i < 29 * 6; i++) {
      clock.advance(10_000); // a request every 10 s for 29 minutes
      await store.read(token);
    }
    expect(writes()).toBe(before);
    for (let i = 0; i < 6 * 6; i++) {
      clock.advance(10_000); // and for 6 more: the half-hour mark passes once
      await store.read(token);
    }
    expect(writes()).toBe(before + 1);
  });

  it('the activity write moves the idle end', async () => {
    const { store, clock, signIn } = await setup({ cacheTtl: 0 });
    const { token } = await signIn();
    clock.advance(31 * MIN);
    await store.read(token);
    clock.advance(59 * MIN);
    expect(await store.read(token)).not.toBeNull();
  });

  it('keeps at most cacheMaxEntries sessions in memory, least recently used out first', async () => {
    const { store, counted, signIn } = await setup({ cacheMaxEntries: 2 });
    const [a, b, c] = [await signIn(), await signIn(), await signIn()];
    await store.read(a.token);
    await store.read(b.token);
    await store.read(a.token); // a is now the most recent
    await store.read(c.token); // evicts b
    expect(await counted.during(() => store.read(a.token))).toEqual([]);
    expect(await counted.during(() => store.read(b.token))).toEqual(['get']);
  });

  it('a store outage on a cold read throws StoreUnavailableError, never null and never a session', async () => {
    const { store, counted, signIn } = await setup();
    const { token } = await signIn();
    counted.fail(true);
    await expect(store.read(token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('during an outage a cached session is served only within the cache TTL', async () => {
    const { store, clock, counted, signIn } = await setup();
    const { token } = await signIn();
    await store.read(token);
    counted.fail(true);
    clock.advance(9_999);
    expect(await store.read(token)).not.toBeNull();
    clock.advance(1);
    await expect(store.read(token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('caches nothing until revocations from other instances can reach it', async () => {
    const clock = createFixedClock();
    const counted = instrument(createMemoryKv({ clock }));
    const kv: Kv = { ...bindAll(counted.kv), subscribe: () => Promise.reject(new StoreUnavailableError('test: no pub/sub')) };
    const store = createSessionStore({ kv, clock, logger: createSilentLogger() }, OPTIONS);
    const { token } = await store.create({ user: alice, factor: { kind: 'password', at: clock.now() }, rememberMe: false });
    for (let i = 0; i < 3; i++) expect(await counted.during(() => store.read(token))).toEqual(['get']);
    await store.close();
  });
});

describe('createSessionStore: rotation', () => {
  it('gives the changed session a new token and revokes the old one, keeping createdAt and the absolute end', async () => {
    const { store, clock, signIn } = await setup();
    const { token, session } = await signIn();
    await store.read(token); // cached: rotation must drop it
    clock.advance(5 * MIN);
    const rotated = await store.rotate(token, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at: clock.now() }] }));
    expect(rotated).not.toBeNull();
    expect(rotated!.token).not.toBe(token);
    expect(rotated!.session.factors.map((f) => f.kind)).toEqual(['password', 'totp']);
    expect(rotated!.session.createdAt).toBe(session.createdAt);
    expect(rotated!.session.expiresAt).toBe(session.expiresAt);
    expect(rotated!.session.csrf).not.toBe(session.csrf);
    expect(await store.read(token)).toBeNull();
    expect(await store.read(rotated!.token)).toEqual(rotated!.session);
  });

  it('cannot extend the absolute end or change the user through the change function', async () => {
    const { store, signIn } = await setup();
    const { token, session } = await signIn();
    const rotated = await store.rotate(token, (s) => ({ ...s, expiresAt: s.expiresAt + 100 * DAY, createdAt: 0, idleSeconds: 1e9 }));
    expect(rotated!.session.expiresAt).toBe(session.expiresAt);
    expect(rotated!.session.createdAt).toBe(session.createdAt);
    expect(rotated!.session.idleSeconds).toBe(session.idleSeconds);
    const other = await signIn();
    await expect(store.rotate(other.token, (s) => ({ ...s, user: bob }))).rejects.toThrow(/user/);
  });

  it('rotates a token once: of 10 racing rotations exactly one gets a new session', async () => {
    const { store, signIn } = await setup();
    const { token } = await signIn();
    const results = await Promise.all(Array.from({ length: 10 }, () => store.rotate(token, (s) => s)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('does not rotate an unknown, malformed or expired token', async () => {
    const { store, clock, signIn } = await setup();
    expect(await store.rotate('A'.repeat(43), (s) => s)).toBeNull();
    expect(await store.rotate('nope', (s) => s)).toBeNull();
    const { token } = await signIn();
    clock.advance(2 * HOUR);
    expect(await store.rotate(token, (s) => s)).toBeNull();
  });
});

describe('createSessionStore: ending sessions', () => {
  it('destroy ends the session, even a cached one', async () => {
    const { store, signIn } = await setup();
    const { token } = await signIn();
    await store.read(token);
    await store.destroy(token);
    expect(await store.read(token)).toBeNull();
    await expect(store.destroy(token)).resolves.toBeUndefined();
    await expect(store.destroy('garbage')).resolves.toBeUndefined();
  });

  it('destroyAllForUser ends every session of that user and only theirs', async () => {
    const { store, clock, signIn } = await setup();
    const mine = [await signIn(), await signIn(alice, true), await signIn()];
    const expired = await signIn();
    const bobs = await signIn(bob);
    for (const s of mine) await store.read(s.token);
    clock.advance(50 * MIN);
    for (const s of mine) await store.read(s.token);
    clock.advance(20 * MIN); // `expired` has been idle 70 minutes now
    expect(await store.destroyAllForUser('alice')).toBe(3);
    for (const s of [...mine, expired]) expect(await store.read(s.token)).toBeNull();
    expect(await store.read(bobs.token)).toBeNull(); // bob was idle too long as well
    const bobAgain = await signIn(bob);
    expect(await store.destroyAllForUser('alice')).toBe(0);
    expect(await store.read(bobAgain.token)).not.toBeNull();
  });

  it('destroyAllForUser can keep the session that asked for it (a factor removed from it)', async () => {
    const { store, signIn } = await setup();
    const [keeper, other, third] = [await signIn(), await signIn(), await signIn()];
    const bobs = await signIn(bob);
    expect(await store.destroyAllForUser('alice', { keepToken: keeper.token })).toBe(2);
    expect(await store.read(keeper.token)).not.toBeNull();
    for (const s of [other, third]) expect(await store.read(s.token)).toBeNull();
    expect(await store.read(bobs.token)).not.toBeNull();
    // Another user's token, or garbage, keeps nothing of alice's.
    const again = await signIn();
    expect(await store.destroyAllForUser('alice', { keepToken: bobs.token })).toBe(2);
    expect(await store.read(again.token)).toBeNull();
    expect(await store.destroyAllForUser('alice', { keepToken: 'garbage' })).toBe(0);
  });

  it('lists a user’s live sessions by non-secret id, newest activity first, and ends one by id', async () => {
    const { store, clock, signIn } = await setup();
    const first = await signIn();
    clock.advance(MIN);
    const second = await signIn();
    await signIn(bob);
    const listed = await store.listForUser('alice');
    expect(listed.map((l) => l.id)).toEqual([store.idOf(second.token), store.idOf(first.token)]);
    for (const { id } of listed) {
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      for (const secret of [first.token, second.token, hashToken(first.token), hashToken(second.token)]) expect(secret).not.toContain(id);
    }
    expect(await store.destroyById('bob', listed[0]!.id)).toBe(false); // not bob's to end
    expect(await store.read(second.token)).not.toBeNull();
    expect(await store.destroyById('alice', listed[0]!.id)).toBe(true);
    expect(await store.read(second.token)).toBeNull();
    expect(await store.read(first.token)).not.toBeNull();
    expect((await store.listForUser('alice')).map((l) => l.id)).toEqual([store.idOf(first.token)]);
  });

  it.each(['', 'x', 'A'.repeat(17), '../../etc', '*', 'A'.repeat(15) + '!'])('destroyById refuses the id %j', async (id) => {
    const { store, counted } = await setup();
    expect(await counted.during(async () => expect(await store.destroyById('alice', id)).toBe(false))).toEqual([]);
  });
});

describe('createSessionStore: several instances on one store', () => {
  async function pair() {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const logger = createSilentLogger();
    const a = createSessionStore({ kv, clock, logger }, OPTIONS);
    const b = createSessionStore({ kv, clock, logger }, OPTIONS);
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    const { token } = await a.create({ user: alice, factor: { kind: 'password', at: clock.now() }, rememberMe: false });
    expect(await a.read(token)).not.toBeNull();
    expect(await b.read(token)).not.toBeNull();
    return { a, b, token };
  }

  it('destroy on one instance ends the session cached on another at once', async () => {
    const { a, b, token } = await pair();
    await b.destroy(token);
    expect(await a.read(token)).toBeNull();
  });

  it('rotation on one instance revokes the old token cached on another', async () => {
    const { a, b, token } = await pair();
    const rotated = await b.rotate(token, (s) => s);
    expect(await a.read(token)).toBeNull();
    expect(await a.read(rotated!.token)).not.toBeNull();
  });

  it('sign-out everywhere on one instance reaches the cache of another', async () => {
    const { a, b, token } = await pair();
    await b.destroyAllForUser('alice');
    expect(await a.read(token)).toBeNull();
  });

  it('a read that raced a revocation is served once but not cached', async () => {
    const clock = createFixedClock();
    const memory = createMemoryKv({ clock });
    let hold: (() => void) | undefined;
    const slow: Kv = {
      ...bindAll(memory),
      get: async (key) => {
        const value = await memory.get(key);
        await new Promise<void>((resolve) => (hold = resolve));
        return value;
      },
    };
    const logger = createSilentLogger();
    const a = createSessionStore({ kv: slow, clock, logger }, OPTIONS);
    const b = createSessionStore({ kv: memory, clock, logger }, OPTIONS);
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    const { token } = await b.create({ user: alice, factor: { kind: 'password', at: clock.now() }, rememberMe: false });
    const racing = a.read(token);
    await until(() => hold !== undefined);
    await b.destroy(token);
    hold!();
    expect(await racing).not.toBeNull(); // it was read before the revocation
    hold = undefined;
    const next = a.read(token);
    await until(() => hold !== undefined);
    hold!();
    expect(await next).toBeNull();
  });

  it('an activity write never brings back a session revoked meanwhile', async () => {
    const clock = createFixedClock();
    const memory = createMemoryKv({ clock });
    // Instance A never hears about revocations (its pub/sub is lost): only the write guard is left.
    const deaf: Kv = { ...bindAll(memory), subscribe: async () => async () => undefined };
    const logger = createSilentLogger();
    const options = { ...OPTIONS, idleTimeout: 60, cacheTtl: 120 };
    const a = createSessionStore({ kv: deaf, clock, logger }, options);
    const b = createSessionStore({ kv: memory, clock, logger }, options);
    await a.whenSubscribed();
    const { token } = await b.create({ user: alice, factor: { kind: 'password', at: clock.now() }, rememberMe: false });
    await a.read(token);
    await b.destroy(token);
    clock.advance(40_000); // past half the idle window: A's next read writes activity
    await a.read(token);
    await Promise.resolve();
    expect(await memory.get(`session:${hashToken(token)}`)).toBeNull();
    expect(await b.read(token)).toBeNull();
  });

  it('close unsubscribes', async () => {
    const clock = createFixedClock();
    const counted = instrument(createMemoryKv({ clock }));
    let active = 0;
    const kv: Kv = {
      ...bindAll(counted.kv),
      subscribe: async (channel, onMessage, onReset) => {
        const stop = await counted.kv.subscribe(channel, onMessage, onReset);
        active++;
        return async () => {
          active--;
          await stop();
        };
      },
    };
    const store = createSessionStore({ kv, clock, logger: createSilentLogger() }, OPTIONS);
    await store.whenSubscribed();
    expect(active).toBe(1);
    await store.close();
    expect(active).toBe(0);
  });
});

function bindAll(kv: Kv): Kv {
  const out: Record<string, unknown> = {};
  for (const name of [
    'get',
    'set',
    'setIfAbsent',
    'setIfPresent',
    'take',
    'indexRemove',
    'indexCount',
    'del',
    'increment',
    'setAdd',
    'setRemove',
    'setMembers',
    'publish',
    'subscribe',
    'ping',
    'close',
  ] as const) {
    out[name] = (kv[name] as (...args: unknown[]) => unknown).bind(kv);
  }
  return out as unknown as Kv;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error('condition not reached');
}

type Pair = { a: SessionStore; b: SessionStore };

describe('createSessionStore: peek (the proxy fast path)', () => {
  it('answers a cached session with no store call and no promise; read agrees', async () => {
    const { store, counted, signIn } = await setup();
    const { token, session } = await signIn();
    expect(store.peek(token)).toBeUndefined(); // create does not fill the cache
    await store.read(token);
    const calls = counted.calls.length;
    const peeked = store.peek(token);
    expect(peeked).not.toBeInstanceOf(Promise);
    expect(peeked).toEqual(session);
    expect(counted.calls.length).toBe(calls);
  });

  it.each(['', 'short', 'A'.repeat(42) + '=', 'x'.repeat(44), 'A'.repeat(42) + '.', ' ' + 'A'.repeat(43)])('refuses %j as no session without looking it up', async (value) => {
    const { store, counted } = await setup();
    expect(store.peek(value)).toBeNull();
    expect(counted.calls).not.toContain('get');
  });

  it('leaves a token it has not read recently to read(): never null for an unknown but well-formed token', async () => {
    const { store } = await setup();
    expect(store.peek('A'.repeat(43))).toBeUndefined();
  });

  it('never answers from the cache past the cache TTL, the idle end or the absolute end', async () => {
    const { store, clock, signIn } = await setup({ cacheTtl: 10, idleTimeout: 60, absoluteTimeout: 120 });
    const { token } = await signIn();
    await store.read(token);
    clock.advance(10_000);
    expect(store.peek(token)).toBeUndefined();
    await store.read(token);
    clock.advance(9_000);
    expect(store.peek(token)).not.toBeUndefined();
    clock.advance(200_000);
    expect(store.peek(token)).toBeUndefined();
    expect(await store.read(token)).toBeNull();
  });

  it.each([
    ['destroy on this instance', async (s: Pair, token: string) => s.a.destroy(token)],
    ['destroy on another instance', async (s: Pair, token: string) => s.b.destroy(token)],
    ['sign-out everywhere on another instance', async (s: Pair) => void (await s.b.destroyAllForUser('alice'))],
    ['rotation on another instance', async (s: Pair, token: string) => void (await s.b.rotate(token, (x) => x))],
  ])('a revoked session is never peeked: %s', async (_name, revoke) => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const logger = createSilentLogger();
    const a = createSessionStore({ kv, clock, logger }, OPTIONS);
    const b = createSessionStore({ kv, clock, logger }, OPTIONS);
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    const { token } = await a.create({ user: alice, factor: { kind: 'password', at: clock.now() }, rememberMe: false });
    await a.read(token);
    expect(a.peek(token)).not.toBeUndefined();
    await revoke({ a, b }, token);
    expect(a.peek(token)).toBeUndefined();
    expect(await a.read(token)).toBeNull();
  });

  it('writes activity when due, as read does, at most once per half idle window', async () => {
    const { store, clock, counted, signIn } = await setup({ idleTimeout: 60, cacheTtl: 120 });
    const { token } = await signIn();
    await store.read(token);
    const from = counted.calls.length;
    clock.advance(20_000);
    store.peek(token);
    expect(counted.calls.slice(from)).toEqual([]);
    clock.advance(11_000);
    expect(store.peek(token)?.lastActiveAt).toBe(clock.now());
    store.peek(token);
    expect(counted.calls.slice(from)).toEqual(['setIfPresent']);
  });
});

describeSessionCount('memory store', async () => {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const open = () => createSessionStore({ kv, clock, logger: createSilentLogger() }, COUNT_OPTIONS);
  return { a: open(), b: open(), clock, settle: () => new Promise((resolve) => setImmediate(resolve)) };
});
