import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../core/clock.js';
import type { Kv } from '../../kv/kv.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { createSentCodeFactor, type SentCodeOptions } from './sent-code-factor.js';

const OPTIONS: SentCodeOptions = { kind: 'sms_otp', digits: 6, ttlSeconds: 300, cooldownSeconds: 60, maxSends: 3, sendWindowSeconds: 3600, perDestinationPerDay: 4, perDay: 6 };
const NUMBERS: Record<string, string> = { alice: '+886912345678', bob: '+886912345678', carol: '+886900000001', dave: '+886900000002' };

function setup(options: Partial<SentCodeOptions> = {}) {
  const clock = createFixedClock(Date.UTC(2026, 5, 1));
  const memory = createMemoryKv({ clock });
  const written: string[] = [];
  // Every value written, to look for the plain code.
  const kv: Kv = { ...memory, set: (k, v, t) => (written.push(v), memory.set(k, v, t)), setIfAbsent: (k, v, t) => (written.push(v), memory.setIfAbsent(k, v, t)) };
  const factor = createSentCodeFactor(
    {
      kv,
      now: clock.now,
      digestKey: randomBytes(32),
      destinationOf: async (username) => (NUMBERS[username] ? { address: NUMBERS[username]!, masked: `•••• ${NUMBERS[username]!.slice(-3)}` } : undefined),
    },
    { ...OPTIONS, ...options },
  );
  const issue = async (username: string, binding: string) => {
    const issued = await factor.issue({ username, binding });
    if (!issued.ok) throw new Error(`not issued: ${issued.reason}`);
    return issued;
  };
  const verify = (username: string, binding: string | undefined, response: unknown) => factor.verify({ username, binding, response, now: clock.now() });
  return { clock, factor, issue, verify, written };
}

describe('sent-code factor', () => {
  it('accepts the code once, for the sign-in and user it was issued to, and stores only a digest', async () => {
    const { issue, verify, written } = setup();
    const { code } = await issue('alice', 'sign-in-1');
    expect(written.join('\n')).not.toContain(code);
    expect(await verify('alice', 'sign-in-2', code)).toMatchObject({ ok: false, reason: 'invalid-code' });
    expect(await verify('bob', 'sign-in-1', code)).toMatchObject({ ok: false, reason: 'invalid-code' });
    expect(await verify('alice', undefined, code)).toMatchObject({ ok: false, reason: 'invalid-code' });
    expect(await verify('alice', 'sign-in-1', code)).toMatchObject({ ok: true, device: { kind: 'sms_otp', name: '•••• 678' } });
    expect((await verify('alice', 'sign-in-1', code)).ok).toBe(false);
  });

  it('of parallel verifications of one code, exactly one succeeds', async () => {
    const { issue, verify } = setup();
    const { code } = await issue('alice', 'sign-in-1');
    const results = await Promise.all(Array.from({ length: 20 }, () => verify('alice', 'sign-in-1', code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed').length + results.filter((r) => !r.ok && r.reason === 'invalid-code').length).toBe(19);
  });

  it('refuses a code at its ttl by the clock, and malformed input before looking', async () => {
    const { clock, issue, verify } = setup();
    const { code } = await issue('alice', 's');
    for (const junk of [undefined, 123456, '', '12345', '1234567', 'abcdef', '１２３４５６', `${code}\n${code}`, 'x'.repeat(1000), ['123456']]) {
      expect(await verify('alice', 's', junk)).toEqual({ ok: false, reason: 'malformed' });
    }
    clock.advance(299_999);
    const spaced = await issue('alice', 't');
    // Typed with a space, as the one-time-code grammar allows.
    expect((await verify('alice', 't', `${spaced.code.slice(0, 3)} ${spaced.code.slice(3)}`)).ok).toBe(true);
    clock.advance(1);
    expect(await verify('alice', 's', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a new code replaces the old one, after the cooldown', async () => {
    const { clock, factor, issue, verify } = setup();
    const first = await issue('alice', 's');
    expect(await factor.issue({ username: 'alice', binding: 's' })).toMatchObject({ ok: false, reason: 'cooldown', cap: 'cooldown' });
    clock.advance(60_000);
    const second = await issue('alice', 's');
    if (second.code !== first.code) expect(await verify('alice', 's', first.code)).toMatchObject({ ok: false, reason: 'invalid-code' });
    expect((await verify('alice', 's', second.code)).ok).toBe(true);
  });

  it('caps sends per account, per number (shared by accounts) and per day, giving back what a refused send took', async () => {
    const { clock, factor, issue } = setup();
    for (let i = 0; i < 3; i++) await issue('alice', `a${i}`);
    expect(await factor.issue({ username: 'alice', binding: 'a3' })).toMatchObject({ ok: false, reason: 'rate-limited', cap: 'account' });
    await issue('bob', 'b0'); // the same number: its fourth text today
    expect(await factor.issue({ username: 'bob', binding: 'b1' })).toMatchObject({ ok: false, reason: 'rate-limited', cap: 'destination' });
    // The refused sends took no cooldown of their own sign-in.
    clock.advance(3_600_000);
    expect(await factor.issue({ username: 'alice', binding: 'a3' })).toMatchObject({ ok: false, cap: 'destination' });
    await issue('carol', 'c0');
    await issue('dave', 'd0');
    expect(await factor.issue({ username: 'carol', binding: 'c1' })).toMatchObject({ ok: false, cap: 'day' });
    clock.advance(24 * 3_600_000);
    expect((await factor.issue({ username: 'carol', binding: 'c1' })).ok).toBe(true);
  });

  it('has nothing to offer or send for a user without a destination', async () => {
    const { factor } = setup();
    expect(await factor.listDevices('zoe')).toEqual([]);
    expect(await factor.issue({ username: 'zoe', binding: 's' })).toEqual({ ok: false, reason: 'no-destination' });
  });
});
