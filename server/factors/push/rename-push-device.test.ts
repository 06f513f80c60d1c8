import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.js';
import { openTestStorage } from '../../storage/testing/test-storage.js';
import { renamePushDevice } from './rename-push-device.js';

const NOW = Date.UTC(2026, 0, 1);
let storage: Storage;
let phoneId: string;
let codesId: string;
beforeEach(async () => {
  storage = openTestStorage();
  const codes = await storage.otpDevices.create(
    { username: 'alice', kind: 'totp', name: 'Pixel 9', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
    NOW,
  );
  codesId = codes.id;
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
  phoneId = (await storage.pushDevices.create({ username: 'alice', name: 'Pixel 9', publicKey, subscription: null, otpDeviceId: codes.id }, NOW)).id;
});
afterEach(() => storage.close());

describe('renamePushDevice', () => {
  it.each([
    ['Work phone', 'Work phone'],
    ['  陳的手機  ', '陳的手機'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('renames the phone and its offline codes: %j → %j', async (input, name) => {
    expect(await renamePushDevice(storage, { username: 'alice', deviceId: phoneId, name: input })).toEqual({ ok: true, name });
    expect((await storage.pushDevices.get(phoneId))!.name).toBe(name);
    expect((await storage.otpDevices.get(codesId))!.name).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['65 characters', 'x'.repeat(65)],
    ['a tab', 'a\tb'],
    ['a line break', 'a\nb'],
    ['a NUL byte', 'a\0b'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['not a string', 42],
    ['an array', ['Pixel']],
    ['missing', undefined],
  ])('refuses a name that is %s and changes nothing', async (_name, input) => {
    expect(await renamePushDevice(storage, { username: 'alice', deviceId: phoneId, name: input })).toEqual({ ok: false, reason: 'invalid-name' });
    expect((await storage.pushDevices.get(phoneId))!.name).toBe('Pixel 9');
  });

  it.each([
    ['another user’s phone', 'bob', () => phoneId],
    ['an unknown id', 'alice', () => 'no-such-phone'],
    ['an OTP device id, not a phone', 'alice', () => codesId],
    ['a hostile id', 'alice', () => '__proto__'],
    ['a very long id', 'alice', () => 'x'.repeat(10_000)],
    ['no id', 'alice', () => undefined],
    ['an id that is not a string', 'alice', () => ({ toString: () => phoneId })],
  ])('refuses %s', async (_name, username, id) => {
    expect(await renamePushDevice(storage, { username, deviceId: id(), name: 'Stolen' })).toEqual({ ok: false, reason: 'not-found' });
    expect((await storage.pushDevices.get(phoneId))!.name).toBe('Pixel 9');
    expect((await storage.otpDevices.get(codesId))!.name).toBe('Pixel 9');
  });
});
