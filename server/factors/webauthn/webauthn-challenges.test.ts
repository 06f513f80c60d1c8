import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../core/clock.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { issueChallenge, takeChallenge } from './webauthn-challenges.js';

const NOW = Date.UTC(2026, 0, 1);

function setup() {
  const clock = createFixedClock(NOW);
  const kv = createMemoryKv({ clock });
  const keys: string[] = [];
  const spy = { ...kv, set: async (key: string, value: string, ttl: number) => (keys.push(key), kv.set(key, value, ttl)) };
  return { clock, kv, spy, keys };
}

describe('webauthn challenges', () => {
  it('are 32 random bytes, stored under a hash of the binding, and taken once', async () => {
    const { kv, spy, keys } = setup();
    const pending = await issueChallenge(spy, { ceremony: 'authentication', binding: 'session-secret-value', username: 'alice', ttlSeconds: 60, now: NOW });
    expect(Buffer.from(pending.challenge, 'base64url')).toHaveLength(32);
    expect(pending).toMatchObject({ username: 'alice', userHandle: null, expiresAt: NOW + 60_000 });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^webauthn:authentication:[A-Za-z0-9_-]{43}$/);
    expect(keys[0]).not.toContain('session-secret-value');
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'session-secret-value', now: NOW })).toEqual(pending);
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'session-secret-value', now: NOW })).toBeUndefined();
  });

  it('keep registration and sign-in apart, and one per binding', async () => {
    const { kv } = setup();
    const first = await issueChallenge(kv, { ceremony: 'registration', binding: 'b', username: 'alice', userHandle: 'h', ttlSeconds: 60, now: NOW });
    const second = await issueChallenge(kv, { ceremony: 'registration', binding: 'b', username: 'alice', userHandle: 'h', ttlSeconds: 60, now: NOW });
    expect(second.challenge).not.toBe(first.challenge);
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'b', now: NOW })).toBeUndefined();
    expect((await takeChallenge(kv, { ceremony: 'registration', binding: 'b', now: NOW }))?.challenge).toBe(second.challenge);
  });

  it('expire by the caller’s clock and by the store’s TTL', async () => {
    const { kv, clock } = setup();
    await issueChallenge(kv, { ceremony: 'authentication', binding: 'b', username: null, ttlSeconds: 60, now: NOW });
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'b', now: NOW + 60_000 })).toBeUndefined();
    await issueChallenge(kv, { ceremony: 'authentication', binding: 'b', username: null, ttlSeconds: 60, now: NOW });
    clock.advance(60_000);
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'b', now: NOW })).toBeUndefined();
  });

  it.each(['not json', '{"challenge": 5, "expiresAt": 1}', 'null', '{}'])('treat a stored value of %j as no challenge', async (value) => {
    const { kv, spy, keys } = setup();
    await issueChallenge(spy, { ceremony: 'authentication', binding: 'b', username: null, ttlSeconds: 60, now: NOW });
    await kv.set(keys[0]!, value, 60);
    expect(await takeChallenge(kv, { ceremony: 'authentication', binding: 'b', now: NOW })).toBeUndefined();
  });
});
