import { describe, expect, it } from 'vitest';
import type { AuditLog } from '../audit/create-audit-log.js';
import type { RegulationConfig } from '../config/schema.js';
import { createFixedClock } from '../core/clock.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createRegulator } from '../regulation/create-regulator.js';
import type { AttemptKind } from '../regulation/regulator.js';
import { issueWebAuthnChallenge } from './issue-webauthn-challenge.js';

const CONFIG: RegulationConfig = {
  account: { max_retries: 3, find_time: 600, ban_time: 900 },
  address: { max_retries: 10, find_time: 600, ban_time: 900 },
  lockout: { max_failures: 6, find_time: 86400, duration: 3600 },
};
const IP = '198.51.100.7';
const WINDOW = 120;

function setup(maxPerAddress = 4) {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  const audit: AuditLog = { record: async () => {}, flush: async () => {}, close: () => {} };
  const regulator = createRegulator({ kv, clock, audit, endSessions: async () => {} }, CONFIG);
  const issued: Array<{ username?: string; binding: string }> = [];
  const webauthn = {
    authenticationOptions: async (input: { username?: string; binding: string; now: number }) => {
      issued.push({ username: input.username, binding: input.binding });
      return { challenge: `c${issued.length}`, rpId: 'auth.example' } as never;
    },
  };
  const deps = { regulator, kv, webauthn, now: clock.now, maxPerAddress, windowSeconds: WINDOW };
  const ask = (input: { username?: string; binding?: string; clientIp?: string } = {}) =>
    issueWebAuthnChallenge(deps, {
      binding: input.binding ?? `browser:${Math.random()}`,
      clientIp: input.clientIp ?? IP,
      ...(input.username === undefined ? {} : { username: input.username }),
    });
  const fail = (kind: AttemptKind, times: number, who: { username?: string; ip?: string }) =>
    Promise.all(Array.from({ length: times }, () => regulator.recordFailure({ kind, ip: who.ip ?? '192.0.2.1', ...(who.username ? { username: who.username } : {}) })));
  return { clock, kv, regulator, issued, ask, fail };
}

const THROTTLED = { ok: false, reason: 'throttled' };

describe('issueWebAuthnChallenge', () => {
  it('issues a second factor’s challenge for the user, and a passkey sign-in’s without one', async () => {
    const { ask, issued } = setup();
    expect(await ask({ username: 'alice', binding: 'session:1' })).toMatchObject({ ok: true, options: { challenge: 'c1' } });
    expect(await ask({ binding: 'browser:1' })).toMatchObject({ ok: true, options: { challenge: 'c2' } });
    expect(issued).toEqual([
      { username: 'alice', binding: 'session:1' },
      { username: undefined, binding: 'browser:1' },
    ]);
  });

  // The address banned by failures of any kind, from any of these spellings of a client.
  it.each(['198.51.100.7', '2001:db8::7', '::ffff:198.51.100.7', '10.0.0.1'])('a banned address %s gets no challenge, signed in or not, whoever the user', async (ip) => {
    const { ask, fail, issued } = setup();
    await fail('password', CONFIG.address.max_retries, { ip });
    for (const username of [undefined, 'alice', 'nobody-such', 'ALICE']) expect(await ask({ username, clientIp: ip })).toEqual(THROTTLED);
    expect(issued).toEqual([]);
    // Another address is not refused.
    expect((await ask({ username: 'alice', clientIp: '203.0.113.99' })).ok).toBe(true);
  });

  it('a locked account gets no second-factor challenge: the answer of a banned address, and the same for a name no directory knows', async () => {
    const { ask, regulator, fail, issued } = setup();
    for (const username of ['alice', 'ghost-user', 'ｄａｖｅ']) await regulator.lock(username, { reason: 'admin', actor: 'test' });
    const answers = [await ask({ username: 'alice' }), await ask({ username: 'ghost-user' }), await ask({ username: 'dave' }), await ask({ username: ' Alice ' })];
    await fail('otp', CONFIG.address.max_retries, { ip: '203.0.113.1' });
    answers.push(await ask({ username: 'bob', clientIp: '203.0.113.1' }));
    for (const answer of answers) expect(answer).toEqual(THROTTLED);
    expect(issued).toEqual([]);
    // Before sign-in there is no account to ask about: the lock of some account changes nothing.
    expect((await ask()).ok).toBe(true);
  });

  it('an account whose passkey attempts are banned gets no second-factor challenge; other kinds’ bans do not matter', async () => {
    const { ask, fail } = setup();
    await fail('webauthn', CONFIG.account.max_retries, { username: 'alice' });
    await fail('otp', CONFIG.account.max_retries, { username: 'bob' });
    expect(await ask({ username: 'alice' })).toEqual(THROTTLED);
    expect((await ask({ username: 'bob' })).ok).toBe(true);
  });

  it('passkey sign-in challenges: at most maxPerAddress per address in the window, whatever browser asks; the window passes', async () => {
    const { ask, clock, issued, kv } = setup(4);
    const keysBefore = kv.countKeys();
    for (let i = 0; i < 4; i++) expect((await ask({ binding: `browser:${i}` })).ok).toBe(true);
    for (let i = 0; i < 50; i++) expect(await ask({ binding: `browser:more-${i}` })).toEqual(THROTTLED);
    // 4 challenges and one counter, not 54 challenges.
    expect(issued).toHaveLength(4);
    expect(kv.countKeys() - keysBefore).toBe(1);
    expect((await ask({ binding: 'browser:x', clientIp: '203.0.113.5' })).ok).toBe(true);
    clock.advance(WINDOW * 1000 + 1);
    expect((await ask({ binding: 'browser:later' })).ok).toBe(true);
  });

  it('parallel passkey sign-in challenges from one address: exactly maxPerAddress are issued', async () => {
    const { ask, issued } = setup(5);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ask({ binding: `browser:${i}` })));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(issued).toHaveLength(5);
  });

  it('second-factor challenges (one per session, replaced when asked again) do not count against the address', async () => {
    const { ask } = setup(2);
    for (let i = 0; i < 10; i++) expect((await ask({ username: 'alice', binding: 'session:1' })).ok).toBe(true);
    expect((await ask()).ok).toBe(true);
  });
});
