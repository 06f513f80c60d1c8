import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, createAdminFixture, NOW, type AdminFixture } from './testing/admin-fixture.js';
import { listUserSessions, revokeAllUserSessions, revokeUserSession } from './user-sessions.js';

let f: AdminFixture;
beforeEach(() => {
  f = createAdminFixture();
});
afterEach(() => f.close());

describe('listUserSessions', () => {
  it('shows each live session with times, factors and remember-me, most recent first, and never a token or CSRF value', async () => {
    const first = await f.signIn('bob');
    f.clock.advance(60_000);
    const second = await f.signIn('bob', true);
    await f.signIn('alice');
    const result = await listUserSessions(f.deps, 'bob');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.sessions).toEqual([
      {
        id: f.sessions.idOf(second.token),
        createdAt: NOW + 60_000,
        lastActiveAt: NOW + 60_000,
        expiresAt: NOW + 60_000 + 7 * 86_400_000,
        factors: [{ kind: 'password', at: NOW + 60_000 }],
        rememberMe: true,
        client: null,
      },
      {
        id: f.sessions.idOf(first.token),
        createdAt: NOW,
        lastActiveAt: NOW,
        expiresAt: NOW + 43_200_000,
        factors: [{ kind: 'password', at: NOW }],
        rememberMe: false,
        client: null,
      },
    ]);
    const text = JSON.stringify(result);
    for (const secret of [first.token, second.token, first.session.csrf, second.session.csrf]) expect(text).not.toContain(secret);
  });

  it('leaves out expired sessions', async () => {
    await f.signIn('bob');
    f.clock.advance(3_600_001);
    expect(await listUserSessions(f.deps, 'bob')).toEqual({ ok: true, username: 'bob', sessions: [] });
  });
});

describe('revokeUserSession', () => {
  it('ends exactly that session and records it', async () => {
    const one = await f.signIn('bob');
    const two = await f.signIn('bob');
    const id = f.sessions.idOf(one.token)!;
    expect(await revokeUserSession(f.deps, ADMIN, 'bob', id)).toEqual({ ok: true, username: 'bob' });
    expect(await f.sessions.read(one.token)).toBeNull();
    expect(await f.sessions.read(two.token)).not.toBeNull();
    const events = await f.adminEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'admin.session_revoke', actor: 'alice', subject: 'bob', details: { scope: 'one', target: id, sessions: 1 } });
  });

  it.each([
    ['empty', () => ''],
    ['too short', () => 'abc'],
    ['a made-up id', () => 'AAAAAAAAAAAAAAAA'],
    ['a path', () => '../../session:x'],
    ['the token itself', (t: string) => t],
    ['another user’s session id', (_t: string, other: string) => other],
  ])('%s is unknown_session, and nothing ends', async (_name, make) => {
    const mine = await f.signIn('bob');
    const theirs = await f.signIn('alice');
    const id = make(mine.token, f.sessions.idOf(theirs.token)!);
    expect(await revokeUserSession(f.deps, ADMIN, 'bob', id)).toEqual({ ok: false, reason: 'unknown_session' });
    expect(await f.sessions.read(mine.token)).not.toBeNull();
    expect(await f.sessions.read(theirs.token)).not.toBeNull();
    expect(await f.adminEvents()).toEqual([]);
  });

  it('a session already ended is unknown the second time', async () => {
    const one = await f.signIn('bob');
    const id = f.sessions.idOf(one.token)!;
    await revokeUserSession(f.deps, ADMIN, 'bob', id);
    expect(await revokeUserSession(f.deps, ADMIN, 'bob', id)).toEqual({ ok: false, reason: 'unknown_session' });
    expect(await f.adminEvents()).toHaveLength(1);
  });
});

describe('revokeAllUserSessions', () => {
  it('ends all of the user’s sessions and counts them', async () => {
    const a = await f.signIn('bob');
    const b = await f.signIn('bob');
    const other = await f.signIn('alice');
    expect(await revokeAllUserSessions(f.deps, ADMIN, 'bob')).toEqual({ ok: true, username: 'bob', sessionsEnded: 2 });
    expect(await f.sessions.read(a.token)).toBeNull();
    expect(await f.sessions.read(b.token)).toBeNull();
    expect(await f.sessions.read(other.token)).not.toBeNull();
    expect((await f.adminEvents())[0]).toMatchObject({ kind: 'admin.session_revoke', subject: 'bob', details: { scope: 'all', sessions: 2 } });
  });

  it.each(['nobody', '', '*'])('unknown user %j: nothing ends', async (name) => {
    const a = await f.signIn('bob');
    expect(await revokeAllUserSessions(f.deps, ADMIN, name)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await listUserSessions(f.deps, name)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await f.sessions.read(a.token)).not.toBeNull();
  });
});
