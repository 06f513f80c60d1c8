import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../core/errors.js';
import { DuplicateSerialError, type NewOtpDevice, type Storage } from '../storage.js';
import type { SecretKey } from '../secret-box.js';

const NOW = Date.UTC(2026, 0, 1);
const SEED = Buffer.from('3132333435363738393031323334353637383930', 'hex');

const app = (username: string, name = 'iPhone'): NewOtpDevice => ({
  username,
  kind: 'totp',
  name,
  secret: SEED,
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  serial: null,
});
const token = (serial: string, overrides: Partial<NewOtpDevice> = {}): NewOtpDevice => ({
  username: null,
  kind: 'hotp',
  name: serial,
  secret: Buffer.from(`seed of ${serial}`),
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  serial,
  counter: 0,
  confirmed: true,
  ...overrides,
});

/** Opens a fresh, empty storage of the backend under test (keys: the default test key unless given). */
export type OpenStorage = (keys?: readonly SecretKey[]) => Promise<Storage>;

/**
 * What every storage backend must do, run against each one (SQLite in memory in unit tests,
 * a real PostgreSQL in integration tests), as kv-contract.ts does for the KV stores.
 */
export function describeStorageContract(backend: string, open: OpenStorage): void {
  describe(backend, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    describe('sms numbers', () => {
      it('keeps one confirmed number per user, replaced by the next, removed once, and gone with resetUser', async () => {
        expect(await storage.smsNumbers.get('alice')).toBeUndefined();
        await storage.smsNumbers.set('alice', '+886912345678', 1_000);
        await storage.smsNumbers.set('bob', '+886987654321', 2_000);
        await storage.smsNumbers.set('alice', '+886911111111', 3_000);
        expect(await storage.smsNumbers.get('alice')).toEqual({ username: 'alice', number: '+886911111111', createdAt: 3_000 });
        expect(await storage.smsNumbers.remove('alice')).toBe(true);
        expect(await storage.smsNumbers.remove('alice')).toBe(false);
        expect(await storage.smsNumbers.get('alice')).toBeUndefined();
        await storage.userState.resetUser('bob');
        expect(await storage.smsNumbers.get('bob')).toBeUndefined();
      });
    });

    describe('push devices: the app lock', () => {
      const phone = { username: 'alice', name: 'Pixel', publicKey: Buffer.from([48, 89, 1]), subscription: null, otpDeviceId: null };
      it('keeps the lock credential whole, and a phone without one reads null', async () => {
        const appLock = { credentialId: 'Y3JlZGVudGlhbC1pZA', publicKey: Buffer.from([165, 1, 2, 3, 38, 255]), counter: 0 };
        const locked = await storage.pushDevices.create({ ...phone, appLock }, NOW);
        const plain = await storage.pushDevices.create(phone, NOW);
        expect((await storage.pushDevices.get(locked.id))!.appLock).toEqual(appLock);
        expect((await storage.pushDevices.get(plain.id))!.appLock).toBeNull();
      });

      it('moves the counter on only from the value read (one of two racing answers wins), beyond 32 bits too', async () => {
        const { id } = await storage.pushDevices.create({ ...phone, appLock: { credentialId: 'aWQ', publicKey: Buffer.from([1]), counter: 0 } }, NOW);
        const results = await Promise.all([storage.pushDevices.updateAppLockCounter(id, 0, 1), storage.pushDevices.updateAppLockCounter(id, 0, 1)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await storage.pushDevices.updateAppLockCounter(id, 1, 2 ** 32 + 5)).toBe(true);
        expect((await storage.pushDevices.get(id))!.appLock!.counter).toBe(2 ** 32 + 5);
        expect(await storage.pushDevices.updateAppLockCounter(id, 1, 3)).toBe(false);
      });
    });

    describe('otp devices', () => {
      it('creates a pending device and reads it back whole', async () => {
        const created = await storage.otpDevices.create(app('alice'), NOW);
        expect(created).toMatchObject({ username: 'alice', kind: 'totp', confirmed: false, counter: 0, driftSteps: 0, lastStep: null, createdAt: NOW, lastUsedAt: null });
        expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(await storage.otpDevices.get(created.id)).toEqual(created);
        expect((await storage.otpDevices.get(created.id))!.secret.equals(SEED)).toBe(true);
      });

      it('keeps its own copy of the secret', async () => {
        const secret = Buffer.from(SEED);
        const created = await storage.otpDevices.create({ ...app('alice'), secret }, NOW);
        secret.fill(0);
        expect(created.secret.equals(SEED)).toBe(true);
        expect((await storage.otpDevices.get(created.id))!.secret.equals(SEED)).toBe(true);
      });

      it('gives every device a different id', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 50; i++) ids.add((await storage.otpDevices.create(app('alice'), NOW)).id);
        expect(ids.size).toBe(50);
      });

      it('answers undefined for an unknown id or serial', async () => {
        expect(await storage.otpDevices.get('nope')).toBeUndefined();
        expect(await storage.otpDevices.findBySerial('nope')).toBeUndefined();
      });

      it("lists a user's devices oldest first, and only theirs", async () => {
        const a1 = await storage.otpDevices.create(app('alice', 'first'), NOW);
        await storage.otpDevices.create(app('bob'), NOW);
        const a2 = await storage.otpDevices.create(app('alice', 'second'), NOW + 1);
        expect((await storage.otpDevices.listForUser('alice')).map((d) => d.id)).toEqual([a1.id, a2.id]);
        expect(await storage.otpDevices.listForUser('Alice')).toEqual([]);
      });

      it.each([
        ['rename', (s: Storage, id: string) => s.otpDevices.rename(id, 'Work phone'), { name: 'Work phone' }],
        ['confirm', (s: Storage, id: string) => s.otpDevices.confirm(id, NOW + 5), { confirmed: true, lastUsedAt: NOW + 5 }],
      ] as const)('%s changes the device and says so', async (_name, act, expected) => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        expect(await act(storage, id)).toBe(true);
        expect(await storage.otpDevices.get(id)).toMatchObject(expected);
        expect(await act(storage, 'unknown')).toBe(false);
      });

      it('confirms once', async () => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        expect(await storage.otpDevices.confirm(id, NOW)).toBe(true);
        expect(await storage.otpDevices.confirm(id, NOW + 1)).toBe(false);
      });

      it('removes a device once', async () => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        expect(await storage.otpDevices.remove(id)).toBe(true);
        expect(await storage.otpDevices.remove(id)).toBe(false);
        expect(await storage.otpDevices.get(id)).toBeUndefined();
      });

      it('refuses a device without a secret', async () => {
        await expect(storage.otpDevices.create({ ...app('alice'), secret: Buffer.alloc(0) }, NOW)).rejects.toThrow(TypeError);
      });
    });

    describe('recordUse (compare-and-set)', () => {
      it('advances a TOTP replay floor only from the expected value', async () => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        expect(await storage.otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 100, driftSteps: -1 }, NOW + 1)).toBe(true);
        expect(await storage.otpDevices.get(id)).toMatchObject({ lastStep: 100, driftSteps: -1, lastUsedAt: NOW + 1 });
        expect(await storage.otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 101 }, NOW + 2)).toBe(false);
        expect(await storage.otpDevices.recordUse(id, { expectedLastStep: 99, lastStep: 101 }, NOW + 2)).toBe(false);
        expect(await storage.otpDevices.recordUse(id, { expectedLastStep: 100, lastStep: 101 }, NOW + 3)).toBe(true);
        expect(await storage.otpDevices.get(id)).toMatchObject({ lastStep: 101, driftSteps: -1, lastUsedAt: NOW + 3 });
      });

      it('advances a HOTP counter only from the expected value', async () => {
        await storage.otpDevices.importTokens([token('T1', { counter: 5 })], NOW);
        const { id } = (await storage.otpDevices.findBySerial('T1'))!;
        expect(await storage.otpDevices.recordUse(id, { expectedCounter: 4, counter: 8 }, NOW)).toBe(false);
        expect(await storage.otpDevices.recordUse(id, { expectedCounter: 5, counter: 8 }, NOW)).toBe(true);
        expect(await storage.otpDevices.recordUse(id, { expectedCounter: 5, counter: 9 }, NOW)).toBe(false);
        expect((await storage.otpDevices.get(id))!.counter).toBe(8);
      });

      it('lets exactly one of 20 concurrent uses with the same expectation win', async () => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        await storage.otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 10 }, NOW);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => storage.otpDevices.recordUse(id, { expectedLastStep: 10, lastStep: 11 + (i % 2) }, NOW + i)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('answers false for an unknown device', async () => {
        expect(await storage.otpDevices.recordUse('unknown', { expectedLastStep: null, lastStep: 1 }, NOW)).toBe(false);
      });

      it.each([
        ['no expectation at all', { lastStep: 5 }],
        ['only a drift change', { driftSteps: 1 }],
        ['a fractional step', { expectedLastStep: null, lastStep: 1.5 }],
        ['an unsafe counter', { expectedCounter: 0, counter: 2 ** 53 }],
        ['NaN drift', { expectedLastStep: null, driftSteps: Number.NaN }],
      ])('refuses %s as a bug', async (_name, change) => {
        const { id } = await storage.otpDevices.create(app('alice'), NOW);
        await expect(storage.otpDevices.recordUse(id, change, NOW)).rejects.toThrow();
        expect(await storage.otpDevices.get(id)).toMatchObject({ lastStep: null, counter: 0, driftSteps: 0, lastUsedAt: null });
      });
    });

    describe('hardware tokens', () => {
      it('imports, lists by serial, and finds by serial', async () => {
        await storage.otpDevices.importTokens([token('B2'), token('A1', { kind: 'totp', digits: 8, period: 60, algorithm: 'SHA256' })], NOW);
        const tokens = await storage.otpDevices.listTokens();
        expect(tokens.map((t) => t.serial)).toEqual(['A1', 'B2']);
        expect(await storage.otpDevices.findBySerial('A1')).toMatchObject({ kind: 'totp', digits: 8, period: 60, algorithm: 'SHA256', username: null, confirmed: true });
        expect((await storage.otpDevices.findBySerial('B2'))!.secret.toString()).toBe('seed of B2');
      });

      it('leaves authenticator apps out of the token list', async () => {
        await storage.otpDevices.create(app('alice'), NOW);
        expect(await storage.otpDevices.listTokens()).toEqual([]);
      });

      it('imports nothing when a serial repeats within the batch, and names it', async () => {
        const error = await storage.otpDevices.importTokens([token('S1'), token('S2'), token('S1')], NOW).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateSerialError);
        expect((error as DuplicateSerialError).serial).toBe('S1');
        expect((error as Error).message).toContain('S1');
        expect(await storage.otpDevices.listTokens()).toEqual([]);
      });

      it('imports nothing when a serial is already stored, even as the last entry', async () => {
        await storage.otpDevices.importTokens([token('OLD')], NOW);
        const batch = [...Array.from({ length: 30 }, (_, i) => token(`NEW${i}`)), token('OLD')];
        const error = await storage.otpDevices.importTokens(batch, NOW).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateSerialError);
        expect((error as DuplicateSerialError).serial).toBe('OLD');
        expect((await storage.otpDevices.listTokens()).map((t) => t.serial)).toEqual(['OLD']);
      });

      it('imports nothing when one entry breaks a constraint', async () => {
        const bad = token('BAD', { digits: 7 as 6 });
        await expect(storage.otpDevices.importTokens([token('OK1'), bad], NOW)).rejects.toThrow();
        expect(await storage.otpDevices.listTokens()).toEqual([]);
      });

      it.each([null, ''])('refuses to import a token with serial %j', async (serial) => {
        await expect(storage.otpDevices.importTokens([token('OK1'), token('x', { serial })], NOW)).rejects.toThrow(TypeError);
        expect(await storage.otpDevices.listTokens()).toEqual([]);
      });

      it('refuses a second device with a stored serial through create too', async () => {
        await storage.otpDevices.create(token('S9'), NOW);
        await expect(storage.otpDevices.create(token('S9'), NOW)).rejects.toBeInstanceOf(DuplicateSerialError);
      });

      it('accepts an empty import', async () => {
        await storage.otpDevices.importTokens([], NOW);
        expect(await storage.otpDevices.listTokens()).toEqual([]);
      });

      it('assigns a free token to one user only', async () => {
        await storage.otpDevices.importTokens([token('T1')], NOW);
        expect(await storage.otpDevices.assign('T1', 'alice')).toBe(true);
        expect(await storage.otpDevices.assign('T1', 'bob')).toBe(false);
        expect(await storage.otpDevices.assign('T1', 'alice')).toBe(false);
        expect(await storage.otpDevices.assign('NOPE', 'alice')).toBe(false);
        expect((await storage.otpDevices.listForUser('alice')).map((d) => d.serial)).toEqual(['T1']);
        expect(await storage.otpDevices.listForUser('bob')).toEqual([]);
      });

      it("unassigns a token, keeping its counter and replay floor but not its owner's name for it", async () => {
        await storage.otpDevices.importTokens([token('T1', { counter: 3 })], NOW);
        await storage.otpDevices.assign('T1', 'alice');
        const { id } = (await storage.otpDevices.findBySerial('T1'))!;
        await storage.otpDevices.rename(id, "Alice's key");
        await storage.otpDevices.recordUse(id, { expectedCounter: 3, counter: 7 }, NOW);
        expect(await storage.otpDevices.unassign('T1')).toBe(true);
        expect(await storage.otpDevices.unassign('T1')).toBe(false);
        expect(await storage.otpDevices.unassign('NOPE')).toBe(false);
        expect(await storage.otpDevices.findBySerial('T1')).toMatchObject({ id, username: null, name: 'T1', counter: 7, lastUsedAt: null });
        expect(await storage.otpDevices.assign('T1', 'bob')).toBe(true);
      });
    });

    describe('recovery codes', () => {
      it('replaces the whole set and lists it in issue order', async () => {
        await storage.recoveryCodes.replaceSet('alice', ['h1', 'h2'], NOW);
        await storage.recoveryCodes.replaceSet('alice', ['h3', 'h4', 'h5'], NOW + 1);
        await storage.recoveryCodes.replaceSet('bob', ['b1'], NOW);
        const codes = await storage.recoveryCodes.listForUser('alice');
        expect(codes.map((c) => c.codeHash)).toEqual(['h3', 'h4', 'h5']);
        expect(codes.every((c) => c.createdAt === NOW + 1 && c.usedAt === null && c.username === 'alice')).toBe(true);
        expect(new Set(codes.map((c) => c.id)).size).toBe(3);
      });

      it('marks a code used once, however many try at once', async () => {
        await storage.recoveryCodes.replaceSet('alice', ['h1', 'h2'], NOW);
        const [first] = await storage.recoveryCodes.listForUser('alice');
        const results = await Promise.all(Array.from({ length: 20 }, () => storage.recoveryCodes.markUsed(first!.id, NOW + 9)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const codes = await storage.recoveryCodes.listForUser('alice');
        expect(codes.map((c) => c.usedAt)).toEqual([NOW + 9, null]);
        expect(await storage.recoveryCodes.markUsed('unknown', NOW)).toBe(false);
      });

      it('does not bring used codes back when nothing replaces them, and a new set starts unused', async () => {
        await storage.recoveryCodes.replaceSet('alice', ['h1'], NOW);
        const [code] = await storage.recoveryCodes.listForUser('alice');
        await storage.recoveryCodes.markUsed(code!.id, NOW);
        await storage.recoveryCodes.replaceSet('alice', ['h1'], NOW + 1);
        expect((await storage.recoveryCodes.listForUser('alice')).map((c) => c.usedAt)).toEqual([null]);
        expect(await storage.recoveryCodes.markUsed(code!.id, NOW + 2)).toBe(false);
      });

      it('replacing with an empty set removes them all', async () => {
        await storage.recoveryCodes.replaceSet('alice', ['h1'], NOW);
        await storage.recoveryCodes.replaceSet('alice', [], NOW);
        expect(await storage.recoveryCodes.listForUser('alice')).toEqual([]);
      });
    });

    describe('enrollment codes', () => {
      const HOUR = 3_600_000;
      const issue = (codeHash: string, expiresAt = NOW + HOUR) =>
        storage.enrollmentCodes.create({ username: 'alice', method: 'admin', codeHash, createdAt: NOW, expiresAt, issuedBy: 'root' });

      it('stores a code and finds it by hash', async () => {
        const created = await issue('hash-1');
        expect(created).toMatchObject({ username: 'alice', method: 'admin', codeHash: 'hash-1', createdAt: NOW, expiresAt: NOW + HOUR, usedAt: null, issuedBy: 'root' });
        expect(await storage.enrollmentCodes.findByHash('hash-1')).toEqual(created);
        expect(await storage.enrollmentCodes.findByHash('hash-2')).toBeUndefined();
      });

      it('refuses a second code with the same hash', async () => {
        await issue('hash-1');
        await expect(issue('hash-1')).rejects.toThrow();
      });

      it('redeems once, however many try at once', async () => {
        const { id } = await issue('hash-1');
        const results = await Promise.all(Array.from({ length: 20 }, () => storage.enrollmentCodes.redeem(id, NOW + 1)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await storage.enrollmentCodes.findByHash('hash-1'))!.usedAt).toBe(NOW + 1);
        expect(await storage.enrollmentCodes.redeem(id, NOW + 2)).toBe(false);
      });

      it.each([
        ['one millisecond before expiry', HOUR - 1, true],
        ['at the expiry instant', HOUR, false],
        ['after expiry', HOUR + 1, false],
        ['a day later', 24 * HOUR, false],
      ])('redeems %s: %s', async (_name, offset, expected) => {
        const { id } = await issue('hash-1');
        expect(await storage.enrollmentCodes.redeem(id, NOW + offset)).toBe(expected);
        expect((await storage.enrollmentCodes.findByHash('hash-1'))!.usedAt).toBe(expected ? NOW + offset : null);
      });

      it('does not redeem an unknown id', async () => {
        expect(await storage.enrollmentCodes.redeem('unknown', NOW)).toBe(false);
      });

      it('purges only codes expired before now', async () => {
        await issue('old', NOW - 1);
        await issue('edge', NOW);
        await issue('fresh', NOW + HOUR);
        expect(await storage.enrollmentCodes.purgeExpired(NOW)).toBe(1);
        expect(await storage.enrollmentCodes.findByHash('old')).toBeUndefined();
        expect(await storage.enrollmentCodes.findByHash('edge')).toBeDefined();
        expect(await storage.enrollmentCodes.purgeExpired(NOW)).toBe(0);
      });
    });

    describe('user factor state', () => {
      it('remembers the factor used last, overwriting the one before', async () => {
        expect(await storage.userState.get('alice')).toBeUndefined();
        await storage.userState.setLastUsed('alice', 'totp', 'dev-1');
        await storage.userState.setLastUsed('alice', 'recovery_code', null);
        expect(await storage.userState.get('alice')).toEqual({ username: 'alice', lastFactorKind: 'recovery_code', lastDeviceId: null });
      });

      it('resetUser removes apps, codes and state, unassigns tokens, and leaves other users alone', async () => {
        const phone = await storage.otpDevices.create(app('alice'), NOW);
        const bobPhone = await storage.otpDevices.create(app('bob'), NOW);
        await storage.otpDevices.importTokens([token('T1', { counter: 4 })], NOW);
        await storage.otpDevices.assign('T1', 'alice');
        await storage.recoveryCodes.replaceSet('alice', ['h1'], NOW);
        await storage.recoveryCodes.replaceSet('bob', ['b1'], NOW);
        await storage.enrollmentCodes.create({ username: 'alice', method: 'email', codeHash: 'e1', createdAt: NOW, expiresAt: NOW + 1000, issuedBy: 'self' });
        await storage.enrollmentCodes.create({ username: 'bob', method: 'email', codeHash: 'e2', createdAt: NOW, expiresAt: NOW + 1000, issuedBy: 'self' });
        await storage.userState.setLastUsed('alice', 'totp', phone.id);
        await storage.userState.setLastUsed('bob', 'totp', bobPhone.id);

        await storage.userState.resetUser('alice');

        expect(await storage.otpDevices.listForUser('alice')).toEqual([]);
        expect(await storage.otpDevices.get(phone.id)).toBeUndefined();
        expect(await storage.otpDevices.findBySerial('T1')).toMatchObject({ username: null, counter: 4 });
        expect(await storage.recoveryCodes.listForUser('alice')).toEqual([]);
        expect(await storage.enrollmentCodes.findByHash('e1')).toBeUndefined();
        expect(await storage.userState.get('alice')).toBeUndefined();
        expect(await storage.otpDevices.listForUser('bob')).toHaveLength(1);
        expect(await storage.recoveryCodes.listForUser('bob')).toHaveLength(1);
        expect(await storage.enrollmentCodes.findByHash('e2')).toBeDefined();
        expect(await storage.userState.get('bob')).toBeDefined();
      });
    });

    describe('storage', () => {
      it('pings while open and rejects as unavailable-or-bug once closed', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
        storage.close();
        storage.close();
        await expect(storage.ping()).rejects.toThrow();
        await expect(storage.ping()).rejects.not.toBeInstanceOf(StoreUnavailableError);
      });

      it('rotates nothing when every secret is under the current key', async () => {
        await storage.otpDevices.create(app('alice'), NOW);
        const progress: [number, number][] = [];
        expect(await storage.rotateKeys((d, t) => progress.push([d, t]))).toBe(0);
        expect(progress).toEqual([]);
      });

      it('stores no secret without a key, but opens and keeps codes', async () => {
        const keyless = await open([]);
        try {
          await expect(keyless.otpDevices.create(app('alice'), NOW)).rejects.toThrow(/encryption_keys is empty/);
          await keyless.recoveryCodes.replaceSet('alice', ['h1'], NOW);
          expect(await keyless.recoveryCodes.listForUser('alice')).toHaveLength(1);
          await expect(keyless.rotateKeys()).rejects.toThrow(/no key/);
        } finally {
          keyless.close();
        }
      });
    });
  });
}
