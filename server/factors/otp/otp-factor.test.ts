import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { createFixedClock } from '../../core/clock.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import type { Kv } from '../../kv/kv.js';
import { openTestStorage } from '../../storage/testing/test-storage.js';
import type { Storage } from '../../storage/storage.js';
import { confirmTotpEnrollment, PENDING_ENROLLMENT_MS, startTotpEnrollment } from './enroll-totp.js';
import { generateHotp, generateTotp } from './generate-otp.js';
import { createOtpFactor } from './otp-factor.js';

const config = configSchema.shape.second_factors.parse({});
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const params = { period: 30, digits: 6 as const, algorithm: 'SHA1' as const };

let storage: Storage;
let kv: Kv;
let clock: ReturnType<typeof createFixedClock>;
beforeEach(() => {
  clock = createFixedClock(T0);
  storage = openTestStorage();
  kv = createMemoryKv({ clock });
});
afterEach(() => storage.close());

async function enrolledApp(username = 'alice') {
  const view = await startTotpEnrollment(storage, { username, name: 'Phone', config: config.totp, now: T0 - 60_000 });
  const confirmed = await confirmTotpEnrollment(
    { storage, kv },
    { username, deviceId: view.device.id, code: generateTotp(view.device.secret, T0 - 60_000, params), config: config.totp, now: T0 - 60_000 },
  );
  if (!confirmed.ok) throw new Error(confirmed.reason);
  return confirmed.device;
}

describe('TOTP enrollment', () => {
  it('stores nothing usable until a first code is confirmed', async () => {
    const view = await startTotpEnrollment(storage, { username: 'alice', name: 'Phone', config: config.totp, now: T0 });
    expect(view.uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:alice\?/);
    expect(view.qrDataUri).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(view.secretGroups.join('')).toHaveLength(32); // 20 bytes, base32
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    expect(await factor.listDevices('alice')).toEqual([]);
    expect(await factor.verify({ username: 'alice', response: generateTotp(view.device.secret, T0, params), now: T0 })).toEqual({ ok: false, reason: 'no-device' });
  });

  it('keeps one pending enrollment per user', async () => {
    const first = await startTotpEnrollment(storage, { username: 'alice', name: 'A', config: config.totp, now: T0 });
    const second = await startTotpEnrollment(storage, { username: 'alice', name: 'B', config: config.totp, now: T0 });
    const other = await startTotpEnrollment(storage, { username: 'bob', name: 'C', config: config.totp, now: T0 });
    expect(await storage.otpDevices.get(first.device.id)).toBeUndefined();
    expect(await storage.otpDevices.get(second.device.id)).toBeDefined();
    expect(await storage.otpDevices.get(other.device.id)).toBeDefined();
  });

  it('refuses a wrong code, another user’s device and an expired enrollment', async () => {
    const view = await startTotpEnrollment(storage, { username: 'alice', name: 'Phone', config: config.totp, now: T0 });
    const confirm = (over: object) =>
      confirmTotpEnrollment(
        { storage, kv },
        { username: 'alice', deviceId: view.device.id, code: generateTotp(view.device.secret, T0, params), config: config.totp, now: T0, ...over },
      );
    expect(await confirm({ code: '000000' })).toMatchObject({ ok: false, reason: 'invalid-code' });
    expect(await confirm({ code: '12345' })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(await confirm({ username: 'bob' })).toMatchObject({ ok: false, reason: 'no-device' });
    expect(await confirm({ deviceId: 42 })).toMatchObject({ ok: false, reason: 'no-device' });
    const late = T0 + PENDING_ENROLLMENT_MS + 1;
    expect(await confirm({ now: late, code: generateTotp(view.device.secret, late, params) })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await storage.otpDevices.get(view.device.id)).toBeUndefined();
  });

  it('the confirming code cannot be used again to sign in', async () => {
    const view = await startTotpEnrollment(storage, { username: 'alice', name: 'Phone', config: config.totp, now: T0 });
    const code = generateTotp(view.device.secret, T0, params);
    expect((await confirmTotpEnrollment({ storage, kv }, { username: 'alice', deviceId: view.device.id, code, config: config.totp, now: T0 })).ok).toBe(true);
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    expect(await factor.verify({ username: 'alice', response: code, now: T0 + 1000 })).toEqual({ ok: false, reason: 'replayed' });
  });
});

describe('the OTP factor', () => {
  it('accepts a current code once, with its device', async () => {
    const device = await enrolledApp();
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    const code = generateTotp(device.secret, T0, params);
    const first = await factor.verify({ username: 'alice', deviceId: device.id, response: code, now: T0 });
    expect(first).toMatchObject({ ok: true, device: { id: device.id, kind: 'totp', name: 'Phone' } });
    expect(await factor.verify({ username: 'alice', deviceId: device.id, response: code, now: T0 + 2000 })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('20 parallel submissions of one valid code give exactly one success', async () => {
    const device = await enrolledApp();
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    const code = generateTotp(device.secret, T0, params);
    const results = await Promise.all(Array.from({ length: 20 }, () => factor.verify({ username: 'alice', response: code, now: T0 })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(19);
  });

  it.each([
    ['spaces', (c: string) => `${c.slice(0, 3)} ${c.slice(3)}`, true],
    ['a dash', (c: string) => `${c.slice(0, 3)}-${c.slice(3)}`, true],
    ['full-width digits', (c: string) => [...c].map((d) => String.fromCharCode(0xff10 + Number(d))).join(''), false],
    ['Arabic-Indic digits', (c: string) => [...c].map((d) => String.fromCharCode(0x0660 + Number(d))).join(''), false],
    ['one digit short', (c: string) => c.slice(1), false],
    ['an extra digit', (c: string) => `${c}0`, false],
  ])('a code written with %s → accepted: %s', async (_name, write, accepted) => {
    const device = await enrolledApp();
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    const result = await factor.verify({ username: 'alice', response: write(generateTotp(device.secret, T0, params)), now: T0 });
    expect(result.ok).toBe(accepted);
    if (!accepted) expect(result).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses codes from another user’s device, the previous window edge beyond ±1 step, and non-strings', async () => {
    const alice = await enrolledApp('alice');
    await enrolledApp('bob');
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    expect(await factor.verify({ username: 'bob', deviceId: alice.id, response: generateTotp(alice.secret, T0, params), now: T0 })).toEqual({ ok: false, reason: 'no-device' });
    expect(await factor.verify({ username: 'bob', response: generateTotp(alice.secret, T0, params), now: T0 })).toEqual({ ok: false, reason: 'invalid-code' });
    expect((await factor.verify({ username: 'alice', response: generateTotp(alice.secret, T0 - 30_000, params), now: T0 })).ok).toBe(true);
    expect(await factor.verify({ username: 'alice', response: generateTotp(alice.secret, T0 - 90_000, params), now: T0 })).toEqual({ ok: false, reason: 'invalid-code' });
    for (const response of [undefined, null, 123456, ['123456'], { code: '1' }]) {
      expect(await factor.verify({ username: 'alice', response, now: T0 })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('learns a phone clock running a step behind and warns past the configured drift', async () => {
    const device = await enrolledApp();
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config: { ...config, totp: { ...config.totp, drift_warning: 20 } } });
    // The phone is 30 s slow: it shows the previous step's code.
    const result = await factor.verify({ username: 'alice', response: generateTotp(device.secret, T0 + 60_000 - 30_000, params), now: T0 + 60_000 });
    expect(result).toMatchObject({ ok: true, warning: { kind: 'clock-drift', seconds: -30 } });
    expect((await storage.otpDevices.get(device.id))!.driftSteps).toBe(-1);
  });

  it('hardware HOTP tokens: look-ahead, counter advance, no reuse of a passed counter', async () => {
    const secret = Buffer.from('12345678901234567890');
    await storage.otpDevices.importTokens(
      [{ username: null, kind: 'hotp', name: 'Token 1', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: 'HW-1', confirmed: true }],
      T0,
    );
    await storage.otpDevices.assign('HW-1', 'alice');
    const factor = createOtpFactor({ storage, kv }, { kind: 'hotp', config });
    const p = { digits: 6 as const, algorithm: 'SHA1' as const };
    expect(await factor.verify({ username: 'alice', response: generateHotp(secret, 11, p), now: T0 })).toEqual({ ok: false, reason: 'invalid-code' }); // beyond look-ahead 10
    expect((await factor.verify({ username: 'alice', response: generateHotp(secret, 3, p), now: T0 })).ok).toBe(true);
    expect((await factor.verify({ username: 'alice', response: generateHotp(secret, 2, p), now: T0 })).ok).toBe(false); // behind the counter now
    expect((await factor.verify({ username: 'alice', response: generateHotp(secret, 3, p), now: T0 })).ok).toBe(false);
    expect((await factor.verify({ username: 'alice', response: generateHotp(secret, 4, p), now: T0 })).ok).toBe(true);
  });

  it('removing a hardware token returns it to the pool; removing an app deletes it', async () => {
    const app = await enrolledApp();
    await storage.otpDevices.importTokens(
      [{ username: null, kind: 'totp', name: 'Token 2', secret: Buffer.alloc(20, 7), algorithm: 'SHA1', digits: 6, period: 30, serial: 'HW-2', confirmed: true }],
      T0,
    );
    await storage.otpDevices.assign('HW-2', 'alice');
    const factor = createOtpFactor({ storage, kv }, { kind: 'totp', config });
    const token = (await storage.otpDevices.findBySerial('HW-2'))!;
    expect(await factor.remove('bob', app.id)).toBe(false);
    expect(await factor.remove('alice', token.id)).toBe(true);
    expect((await storage.otpDevices.findBySerial('HW-2'))!.username).toBeNull();
    expect(await factor.remove('alice', app.id)).toBe(true);
    expect(await storage.otpDevices.get(app.id)).toBeUndefined();
  });
});
