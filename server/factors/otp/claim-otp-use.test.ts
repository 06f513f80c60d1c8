import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../core/clock.js';
import { StoreUnavailableError } from '../../core/errors.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { claimOtpUse, otpClaimTtlSeconds } from './claim-otp-use.js';
import { generateHotp, totpStep } from './generate-otp.js';
import { verifyTotp } from './verify-totp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('claimOtpUse', () => {
  it('20 parallel claims of one step: exactly one wins', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    const results = await Promise.all(Array.from({ length: 20 }, () => claimOtpUse(kv, 'device-a', 1234, 90)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('claims are per device and per step', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    expect(await claimOtpUse(kv, 'device-a', 1234, 90)).toBe(true);
    expect(await claimOtpUse(kv, 'device-a', 1234, 90)).toBe(false);
    expect(await claimOtpUse(kv, 'device-b', 1234, 90)).toBe(true);
    expect(await claimOtpUse(kv, 'device-a', 1235, 90)).toBe(true);
  });

  it('uses the key otp-used:<deviceId>:<step>', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    await claimOtpUse(kv, 'dev_1', 42, 90);
    expect(await kv.get('otp-used:dev_1:42')).toBe('1');
  });

  it('expires after its TTL', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    expect(await claimOtpUse(kv, 'device-a', 7, 90)).toBe(true);
    clock.advance(89_999);
    expect(await claimOtpUse(kv, 'device-a', 7, 90)).toBe(false);
    clock.advance(1);
    expect(await claimOtpUse(kv, 'device-a', 7, 90)).toBe(true);
  });

  it.each([
    { name: 'an empty device id', deviceId: '', step: 1 },
    { name: 'a device id with ":" (could collide with another key)', deviceId: 'a:1', step: 1 },
    { name: 'a negative step', deviceId: 'a', step: -1 },
    { name: 'a fractional step', deviceId: 'a', step: 1.5 },
  ])('throws on $name', async ({ deviceId, step }) => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    await expect(claimOtpUse(kv, deviceId, step, 90)).rejects.toThrow(RangeError);
  });

  it('passes an outage on as StoreUnavailableError (the caller refuses the code)', async () => {
    const kv = createMemoryKv({ clock: createFixedClock() });
    await kv.close();
    await expect(claimOtpUse(kv, 'device-a', 1, 90)).rejects.toThrow(StoreUnavailableError);
  });

  it.each([
    { period: 30, window: 0, ttl: 60 },
    { period: 30, window: 1, ttl: 120 },
    { period: 60, window: 1, ttl: 240 },
    { period: 30, window: 3, ttl: 240 },
  ])('TTL at $period s, window $window → $ttl s', ({ period, window, ttl }) => expect(otpClaimTtlSeconds({ period, window })).toBe(ttl));
});

/**
 * The whole protocol the TOTP factor runs — verify against the stored floor, claim the step,
 * compare-and-set the floor — with a stand-in for storage's recordUse (a CAS on lastStep).
 */
describe('one valid code submitted 20 times at once', () => {
  function createDevice() {
    const device = { id: 'device-a', lastStep: null as number | null, driftSteps: 0 };
    return {
      device,
      async recordUse(expectedLastStep: number | null, lastStep: number): Promise<boolean> {
        await Promise.resolve();
        if (device.lastStep !== expectedLastStep) return false;
        device.lastStep = lastStep;
        return true;
      },
    };
  }

  async function submit(deps: { kv: ReturnType<typeof createMemoryKv>; store: ReturnType<typeof createDevice>; now: number }, code: string) {
    const { device } = deps.store;
    const expectedLastStep = device.lastStep;
    const result = verifyTotp({
      secret: SECRET,
      code,
      now: deps.now,
      period: 30,
      digits: 6,
      algorithm: 'SHA1',
      window: 1,
      driftSteps: device.driftSteps,
      maxDriftSteps: 20,
      lastStep: expectedLastStep,
    });
    if (!result.ok) return result.reason;
    if (!(await claimOtpUse(deps.kv, device.id, result.step, otpClaimTtlSeconds({ period: 30, window: 1 })))) return 'replayed';
    return (await deps.store.recordUse(expectedLastStep, result.step)) ? 'ok' : 'replayed';
  }

  it('gives exactly one success; the rest are replays', async () => {
    const clock = createFixedClock();
    const deps = { kv: createMemoryKv({ clock }), store: createDevice(), now: clock.now() };
    const code = generateHotp(SECRET, totpStep(deps.now, 30), { digits: 6, algorithm: 'SHA1' });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => submit(deps, code)));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(19);
  });

  it('after the claim has expired, the durable floor still refuses the code', async () => {
    const clock = createFixedClock();
    const kv = createMemoryKv({ clock });
    const store = createDevice();
    const now = clock.now();
    const code = generateHotp(SECRET, totpStep(now, 30), { digits: 6, algorithm: 'SHA1' });
    expect(await submit({ kv, store, now }, code)).toBe('ok');
    await kv.del(`otp-used:device-a:${store.device.lastStep}`); // as if the claim had expired
    expect(await submit({ kv, store, now }, code)).toBe('replayed');
  });

  it('a new code in the next step is accepted after the first', async () => {
    const clock = createFixedClock();
    const deps = { kv: createMemoryKv({ clock }), store: createDevice(), now: clock.now() };
    expect(await submit(deps, generateHotp(SECRET, totpStep(deps.now, 30), { digits: 6, algorithm: 'SHA1' }))).toBe('ok');
    const later = { ...deps, now: deps.now + 30_000 };
    expect(await submit(later, generateHotp(SECRET, totpStep(later.now, 30), { digits: 6, algorithm: 'SHA1' }))).toBe('ok');
  });
});
