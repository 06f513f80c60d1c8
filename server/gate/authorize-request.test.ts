import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { createFixedClock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import type { Kv } from '../kv/kv.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { compilePolicy } from '../policy/compile-policy.js';
import { createSessionStore } from '../session/session-store.js';
import type { SessionUser } from '../session/session.js';
import { authorizeRequest, currentSession, type Authorization } from './authorize-request.js';

const alice: SessionUser = { username: 'alice', displayName: 'Alice', email: 'alice@example.com', groups: ['admins'] };
const bob: SessionUser = { username: 'bob', displayName: 'Bob', email: 'bob@example.com', groups: [] };

/** The access policy through the real schema (access_control only). */
const policy = compilePolicy(
  configSchema.parse({
    server: { portal_url: 'https://auth.example.com/' },
    authentication: { users_file: 'users.yml' },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: 'app.example.com', resources: ['/public/.*'], policy: 'bypass' },
        { domain: 'app.example.com', resources: ['/admin(/.*)?'], subject: ['group:admins'], policy: 'one_factor' },
        { domain: 'app.example.com', resources: ['/admin(/.*)?'], policy: 'deny' },
        { domain: 'app.example.com', policy: 'one_factor' },
      ],
    },
  }).access_control,
);

async function setup(options: { kv?: (memory: Kv) => Kv } = {}) {
  const clock = createFixedClock();
  const memory = createMemoryKv({ clock });
  const users = new Map([alice, bob].map((u) => [u.username, u]));
  const directory: Directory = {
    verifyPassword: async () => ({ ok: false, reason: 'invalid-credentials' }),
    findUser: (name) => {
      const user = users.get(name);
      return user && { ...user, groups: [...user.groups] };
    },
    close: () => undefined,
  };
  const sessions = createSessionStore(
    { kv: options.kv ? options.kv(memory) : memory, clock, logger: createSilentLogger() },
    { idleTimeout: 3600, absoluteTimeout: 43200, rememberMe: 0, cacheTtl: 10 },
  );
  await sessions.whenSubscribed();
  const deps = { policy, sessions, directory, cookieName: 'gh', now: clock.now };
  const signIn = async (user: SessionUser) => (await sessions.create({ user, factor: { kind: 'password', at: clock.now() }, rememberMe: false })).token;
  const at = (path: string) => ({ domain: 'app.example.com', path, method: 'GET', ip: '10.0.0.1', caseInsensitivePaths: true });
  return { deps, sessions, users, signIn, at, clock };
}

describe('authorizeRequest: one decision, synchronous when nothing has to be fetched', () => {
  it.each([
    ['no cookie', undefined],
    ['another cookie only', 'theme=dark'],
    ['a malformed token', 'gh=not-a-token'],
    ['two session cookies', `gh=${'A'.repeat(43)}; gh=${'B'.repeat(43)}`],
  ])('%s: decided at once, as anonymous', async (_name, cookie) => {
    const { deps, at } = await setup();
    const result = authorizeRequest(deps, at('/page'), cookie);
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ session: null, decision: { kind: 'login' } });
    expect(authorizeRequest(deps, at('/public/x'), cookie)).toMatchObject({ session: null, decision: { kind: 'allow' } });
  });

  it('a session not yet read here: a promise, one store read, then the same decision without one', async () => {
    const { deps, signIn, at } = await setup();
    const token = await signIn(alice);
    const first = authorizeRequest(deps, at('/admin/x'), `gh=${token}`);
    expect(first).toBeInstanceOf(Promise);
    const cold = await first;
    expect(cold.decision.kind).toBe('allow');
    const warm = authorizeRequest(deps, at('/admin/x'), `a=1; gh=${token}`) as Authorization;
    expect(warm).not.toBeInstanceOf(Promise);
    expect(warm).toEqual(cold);
  });

  it.each([
    ['/page', 'allow', 'allow'],
    ['/admin/', 'allow', 'deny'],
    ['/public/a', 'allow', 'allow'],
  ])('%s: alice %s, bob %s, on the cached path as on the cold one', async (path, aliceKind, bobKind) => {
    const { deps, signIn, at } = await setup();
    for (const [user, kind] of [
      [alice, aliceKind],
      [bob, bobKind],
    ] as const) {
      const cookie = `gh=${await signIn(user)}`;
      expect((await authorizeRequest(deps, at(path), cookie)).decision.kind).toBe(kind);
      expect((authorizeRequest(deps, at(path), cookie) as Authorization).decision.kind).toBe(kind);
    }
  });

  it('a user removed from the directory has no session, even while it is cached', async () => {
    const { deps, signIn, users, at } = await setup();
    const cookie = `gh=${await signIn(alice)}`;
    await authorizeRequest(deps, at('/page'), cookie);
    users.delete('alice');
    expect(authorizeRequest(deps, at('/page'), cookie)).toMatchObject({ session: null, decision: { kind: 'login' } });
    expect(await currentSession(deps, cookie)).toBeNull();
  });

  it('takes groups from the directory as they are now, not from sign-in', async () => {
    const { deps, signIn, users, at } = await setup();
    const cookie = `gh=${await signIn(alice)}`;
    expect((await authorizeRequest(deps, at('/admin'), cookie)).decision.kind).toBe('allow');
    users.set('alice', { ...alice, groups: [] });
    expect((authorizeRequest(deps, at('/admin'), cookie) as Authorization).decision.kind).toBe('deny');
  });

  it('a signed-out session is refused at once on the cached path', async () => {
    const { deps, sessions, signIn, at } = await setup();
    const token = await signIn(alice);
    await authorizeRequest(deps, at('/page'), `gh=${token}`);
    await sessions.destroy(token);
    expect((await authorizeRequest(deps, at('/page'), `gh=${token}`)).decision.kind).toBe('login');
  });

  it('a store outage on a cold read rejects with StoreUnavailableError: never a decision', async () => {
    const failing = (memory: Kv): Kv => ({ ...memory, subscribe: memory.subscribe.bind(memory), get: () => Promise.reject(new StoreUnavailableError('down')) });
    const { deps, sessions, at } = await setup({ kv: failing });
    const token = (await sessions.create({ user: alice, factor: { kind: 'password', at: 0 }, rememberMe: false }).catch(() => undefined))?.token ?? 'A'.repeat(43);
    await expect(authorizeRequest(deps, at('/page'), `gh=${token}`)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
