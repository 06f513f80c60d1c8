import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from './sqlite-storage.js';
import type { NewPushDevice, Storage } from './storage.js';
import { openTestStorage, TEST_STORAGE_KEY } from './testing/test-storage.js';
import { createSilentLogger } from '../core/logger.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOW = Date.UTC(2026, 0, 1);
const spki = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
const SUBSCRIPTION = JSON.stringify({ endpoint: 'https://push.example/abc', keys: { p256dh: 'BP'.padEnd(87, 'A'), auth: 'A'.repeat(22) } });

const phone = (overrides: Partial<NewPushDevice> = {}): NewPushDevice => ({
  username: 'alice',
  name: 'Pixel 8',
  publicKey: spki(),
  subscription: SUBSCRIPTION,
  otpDeviceId: null,
  ...overrides,
});

let storage: Storage;
beforeEach(() => {
  storage = openTestStorage();
});
afterEach(() => storage.close());

describe('push devices (SQLite)', () => {
  it('stores a phone and reads every field back', async () => {
    const input = phone();
    const created = await storage.pushDevices.create(input, NOW);
    expect(created).toEqual({ ...input, id: created.id, clockOffsetMs: 0, createdAt: NOW, lastUsedAt: null, lastSeenAt: null, appLock: null });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await storage.pushDevices.get(created.id)).toEqual(created);
  });

  it('keeps the app lock credential, and moves its counter on only from the expected value', async () => {
    const appLock = { credentialId: 'Y3JlZGVudGlhbC1pZA', publicKey: Buffer.from([1, 2, 3, 250]), counter: 0 };
    const created = await storage.pushDevices.create({ ...phone(), appLock }, NOW);
    expect((await storage.pushDevices.get(created.id))!.appLock).toEqual(appLock);
    expect(await storage.pushDevices.updateAppLockCounter(created.id, 0, 5)).toBe(true);
    // A second answer that read the same counter loses: the replay of an assertion cannot pass twice.
    expect(await storage.pushDevices.updateAppLockCounter(created.id, 0, 6)).toBe(false);
    expect(await storage.pushDevices.updateAppLockCounter(created.id, 5, 6)).toBe(true);
    expect((await storage.pushDevices.get(created.id))!.appLock!.counter).toBe(6);
    expect(await storage.pushDevices.updateAppLockCounter('unknown', 6, 7)).toBe(false);
  });

  it('gives each phone its own id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await storage.pushDevices.create(phone(), NOW)).id);
    expect(ids.size).toBe(20);
  });

  it('keeps a phone without a subscription (live channel only)', async () => {
    const created = await storage.pushDevices.create(phone({ subscription: null }), NOW);
    expect((await storage.pushDevices.get(created.id))!.subscription).toBeNull();
  });

  it('lists only the user’s phones, oldest first', async () => {
    const a = await storage.pushDevices.create(phone({ name: 'first' }), NOW);
    await storage.pushDevices.create(phone({ username: 'bob' }), NOW + 1);
    const b = await storage.pushDevices.create(phone({ name: 'second' }), NOW + 2);
    expect((await storage.pushDevices.listForUser('alice')).map((d) => d.id)).toEqual([a.id, b.id]);
    expect(await storage.pushDevices.listForUser('nobody')).toEqual([]);
  });

  it('renames, and says false for an unknown id', async () => {
    const created = await storage.pushDevices.create(phone(), NOW);
    expect(await storage.pushDevices.rename(created.id, 'iPhone')).toBe(true);
    expect((await storage.pushDevices.get(created.id))!.name).toBe('iPhone');
    expect(await storage.pushDevices.rename('unknown', 'x')).toBe(false);
  });

  it('renames the phone’s offline-code device with it, and no one else’s', async () => {
    const otp = { kind: 'totp' as const, secret: Buffer.alloc(20, 7), algorithm: 'SHA1' as const, digits: 6 as const, period: 30, serial: null, confirmed: true };
    const codes = await storage.otpDevices.create({ ...otp, username: 'alice', name: 'Pixel 8' }, NOW);
    const bobs = await storage.otpDevices.create({ ...otp, username: 'bob', name: 'Bob’s app' }, NOW);
    const created = await storage.pushDevices.create(phone({ otpDeviceId: codes.id }), NOW);
    // A phone row pointing at another user's device (it cannot happen; if it did, bob's stays his).
    const forged = await storage.pushDevices.create(phone({ otpDeviceId: bobs.id }), NOW);
    expect(await storage.pushDevices.rename(created.id, 'Work phone')).toBe(true);
    expect((await storage.otpDevices.get(codes.id))!.name).toBe('Work phone');
    expect(await storage.pushDevices.rename(forged.id, 'Mine now')).toBe(true);
    expect((await storage.otpDevices.get(bobs.id))!.name).toBe('Bob’s app');
  });

  it('replaces and clears the subscription', async () => {
    const created = await storage.pushDevices.create(phone({ subscription: null }), NOW);
    expect(await storage.pushDevices.updateSubscription(created.id, SUBSCRIPTION)).toBe(true);
    expect((await storage.pushDevices.get(created.id))!.subscription).toBe(SUBSCRIPTION);
    expect(await storage.pushDevices.updateSubscription(created.id, null)).toBe(true);
    expect((await storage.pushDevices.get(created.id))!.subscription).toBeNull();
    expect(await storage.pushDevices.updateSubscription('unknown', null)).toBe(false);
  });

  it('records contact (rounded clock offset) and use', async () => {
    const created = await storage.pushDevices.create(phone(), NOW);
    expect(await storage.pushDevices.recordSeen(created.id, -1234.6, NOW + 10)).toBe(true);
    expect(await storage.pushDevices.get(created.id)).toMatchObject({ clockOffsetMs: -1235, lastSeenAt: NOW + 10, lastUsedAt: null });
    expect(await storage.pushDevices.recordUse(created.id, NOW + 20)).toBe(true);
    expect(await storage.pushDevices.get(created.id)).toMatchObject({ lastSeenAt: NOW + 20, lastUsedAt: NOW + 20 });
    expect(await storage.pushDevices.recordSeen('unknown', 0, NOW)).toBe(false);
    expect(await storage.pushDevices.recordUse('unknown', NOW)).toBe(false);
  });

  it('removes the phone with its offline-code TOTP device, and only those', async () => {
    const otp = await storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Pixel 8', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      NOW,
    );
    const other = await storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'App', secret: Buffer.alloc(20, 2), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      NOW,
    );
    const created = await storage.pushDevices.create(phone({ otpDeviceId: otp.id }), NOW);
    expect(await storage.pushDevices.remove(created.id)).toBe(true);
    expect(await storage.pushDevices.get(created.id)).toBeUndefined();
    expect(await storage.otpDevices.get(otp.id)).toBeUndefined();
    expect(await storage.otpDevices.get(other.id)).toBeDefined();
    expect(await storage.pushDevices.remove(created.id)).toBe(false);
  });

  it('never removes another user’s TOTP device through a forged link', async () => {
    const bobs = await storage.otpDevices.create(
      { username: 'bob', kind: 'totp', name: 'App', secret: Buffer.alloc(20, 3), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      NOW,
    );
    const created = await storage.pushDevices.create(phone({ otpDeviceId: bobs.id }), NOW);
    expect(await storage.pushDevices.remove(created.id)).toBe(true);
    expect(await storage.otpDevices.get(bobs.id)).toBeDefined();
  });

  it('is gone with resetUser', async () => {
    const created = await storage.pushDevices.create(phone(), NOW);
    await storage.userState.resetUser('alice');
    expect(await storage.pushDevices.get(created.id)).toBeUndefined();
  });
});

describe('push device subscriptions at rest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-push-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are sealed: the endpoint never appears in the database file', async () => {
    const path = join(dir, 'g.db');
    const s = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    const created = await s.pushDevices.create(phone(), NOW);
    s.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT subscription, subscription_key_id FROM push_devices WHERE id = ?').get(created.id) as { subscription: string; subscription_key_id: string };
    db.close();
    expect(row.subscription).not.toContain('push.example');
    expect(row.subscription_key_id).toBe(TEST_STORAGE_KEY.id);
  });

  it('do not open when the sealed value is copied to another phone', async () => {
    const path = join(dir, 'g.db');
    const s = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    const a = await s.pushDevices.create(phone(), NOW);
    const b = await s.pushDevices.create(phone({ subscription: null }), NOW);
    s.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.prepare(
      'UPDATE push_devices SET subscription = (SELECT subscription FROM push_devices WHERE id = ?), subscription_key_id = (SELECT subscription_key_id FROM push_devices WHERE id = ?) WHERE id = ?',
    ).run(a.id, a.id, b.id);
    db.close();
    const again = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    await expect(again.pushDevices.get(b.id)).rejects.toThrow();
    expect((await again.pushDevices.get(a.id))!.subscription).toBe(SUBSCRIPTION);
    again.close();
  });

  it('are re-sealed by key rotation, so the old key can be retired', async () => {
    const path = join(dir, 'g.db');
    const newKey = { id: 'new', key: Buffer.alloc(32, 0x33) };
    const s = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    const created = await s.pushDevices.create(phone(), NOW);
    s.close();
    const rotating = openSqliteStorage({ path, keys: [newKey, TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    await rotating.rotateKeys();
    rotating.close();
    const after = openSqliteStorage({ path, keys: [newKey] }, { logger: createSilentLogger() });
    expect((await after.pushDevices.get(created.id))!.subscription).toBe(SUBSCRIPTION);
    after.close();
  });
});
