import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { MIGRATIONS, SchemaVersionError } from './migrations.js';
import { SecretBoxError, type SecretKey } from './secret-box.js';
import { openSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
import type { NewOtpDevice, Storage } from './storage.js';

const NOW = Date.UTC(2026, 0, 1);
const OLD: SecretKey = { id: 'k2025', key: Buffer.alloc(32, 0x11) };
const NEW: SecretKey = { id: 'k2026', key: Buffer.alloc(32, 0x22) };

let dir: string;
let path: string;
const opened: Storage[] = [];
const open = (keys: readonly SecretKey[], extra: Partial<SqliteStorageOptions> = {}) => {
  const storage = openSqliteStorage({ path, keys, ...extra }, { logger: createSilentLogger() });
  opened.push(storage);
  return storage;
};
const device = (username: string, secret: Buffer, serial: string | null = null): NewOtpDevice => ({
  username,
  kind: serial ? 'hotp' : 'totp',
  name: 'd',
  secret,
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  serial,
  confirmed: true,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-storage-'));
  path = join(dir, 'gatehouse.db');
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite storage on a file', () => {
  it('creates the database, its WAL and shared-memory files readable by the owner only', async () => {
    const storage = open([NEW]);
    await storage.otpDevices.create(device('alice', Buffer.from('x'.repeat(20))), NOW);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
    }
  });

  it("leaves an existing file's mode alone (an operator's choice), and still opens it", async () => {
    open([NEW]).close();
    chmodSync(path, 0o640);
    await expect(open([NEW]).ping()).resolves.toBeUndefined();
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('fails clearly when the folder does not exist', () => {
    path = join(dir, 'missing', 'gatehouse.db');
    expect(() => open([NEW])).toThrow(/cannot create .*missing.*ENOENT/);
  });

  it('never writes a seed in any plaintext spelling to the database or its journal', async () => {
    const seeds = Array.from({ length: 5 }, (_, i) => Buffer.from(`GATEHOUSE-SEED-MARKER-${i}-0123456789`));
    const storage = open([NEW]);
    for (const [i, seed] of seeds.entries()) await storage.otpDevices.create(device(`user${i}`, seed, i % 2 ? `S${i}` : null), NOW);
    const checkpointed = Buffer.concat([readFileSync(path), readFileSync(`${path}-wal`)]);
    storage.close();
    const bytes = Buffer.concat([checkpointed, readFileSync(path)]);
    expect(bytes.includes(Buffer.from('user3'))).toBe(true); // the search does see the file's text
    for (const seed of seeds) {
      for (const spelling of [
        seed,
        Buffer.from(seed.toString('hex')),
        Buffer.from(seed.toString('hex').toUpperCase()),
        Buffer.from(seed.toString('base64')),
        Buffer.from(seed.toString('base64url')),
        Buffer.from(base32(seed)),
      ]) {
        expect(bytes.includes(spelling), spelling.toString()).toBe(false);
      }
    }
  });

  it('keeps data across reopening, without migrating again', async () => {
    const first = open([NEW]);
    const { id } = await first.otpDevices.create(device('alice', Buffer.from('seed-one-seed-one-12')), NOW);
    await first.recoveryCodes.replaceSet('alice', ['h1'], NOW);
    first.close();
    const second = open([NEW]);
    expect((await second.otpDevices.get(id))!.secret.toString()).toBe('seed-one-seed-one-12');
    expect(await second.recoveryCodes.listForUser('alice')).toHaveLength(1);
    const raw = new BetterSqlite3(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    raw.close();
  });

  it('refuses a database written by a newer Gatehouse', () => {
    open([NEW]).close();
    const raw = new BetterSqlite3(path);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', 0)").run(MIGRATIONS.length + 1);
    raw.close();
    expect(() => open([NEW])).toThrow(SchemaVersionError);
    expect(() => open([NEW])).toThrow(new RegExp(`schema version ${MIGRATIONS.length + 1}, but this Gatehouse knows versions up to ${MIGRATIONS.length}`));
  });

  it("refuses to open when a stored secret's key is no longer configured, naming the key", async () => {
    const before = open([OLD]);
    await before.otpDevices.create(device('alice', Buffer.from('a'.repeat(20))), NOW);
    before.close();
    let error: unknown;
    try {
      open([NEW]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as Error).message).toContain('"k2025"');
    expect((error as Error).message).toContain('rotate-key');
    expect(() => open([])).toThrow(/"k2025"/);
  });

  it('refuses a secret copied onto another row', async () => {
    const storage = open([NEW]);
    const a = await storage.otpDevices.create(device('alice', Buffer.from('alice-seed-alice-see')), NOW);
    const m = await storage.otpDevices.create(device('mallory', Buffer.from('mallory-seed-mallory')), NOW);
    const raw = new BetterSqlite3(path);
    raw.prepare('UPDATE otp_devices SET secret = (SELECT secret FROM otp_devices WHERE id = ?) WHERE id = ?').run(a.id, m.id);
    raw.close();
    await expect(storage.otpDevices.get(m.id)).rejects.toBeInstanceOf(SecretBoxError);
    await expect(storage.otpDevices.listForUser('mallory')).rejects.toThrow(/fails authentication/);
    expect((await storage.otpDevices.get(a.id))!.secret.toString()).toBe('alice-seed-alice-see');
  });

  it('rotates in batches, reporting progress, after which the old key can go', async () => {
    const count = 450;
    const before = open([OLD]);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await before.otpDevices.create(device(`u${i}`, Buffer.from(`seed-${i}`.padEnd(20, '.'))), NOW)).id);
    before.close();

    const during = open([NEW, OLD]);
    const progress: [number, number][] = [];
    expect(await during.rotateKeys((done, total) => progress.push([done, total]))).toBe(count);
    expect(progress).toEqual([
      [200, count],
      [400, count],
      [count, count],
    ]);
    expect(await during.rotateKeys()).toBe(0);
    during.close();

    const after = open([NEW]);
    for (const [i, id] of ids.entries()) expect((await after.otpDevices.get(id))!.secret.toString()).toBe(`seed-${i}`.padEnd(20, '.'));
    const raw = new BetterSqlite3(path, { readonly: true });
    expect(raw.prepare("SELECT count(*) FROM otp_devices WHERE secret_key_id = 'k2026' AND secret LIKE 'v1.k2026.%'").pluck().get()).toBe(count);
    raw.close();
  });

  it('rotation keeps counters, floors and everything else of each device', async () => {
    const before = open([OLD]);
    const d = await before.otpDevices.create(device('alice', Buffer.from('b'.repeat(20)), 'T1'), NOW);
    await before.otpDevices.recordUse(d.id, { expectedCounter: 0, counter: 17, driftSteps: 2 }, NOW + 1);
    const expected = await before.otpDevices.get(d.id);
    before.close();
    const during = open([NEW, OLD]);
    await during.rotateKeys();
    expect(await during.otpDevices.get(d.id)).toEqual(expected);
  });

  describe('two gateway instances on one file', () => {
    it('let exactly one of 20 interleaved uses with the same expectation win', async () => {
      const a = open([NEW]);
      const b = open([NEW]);
      const { id } = await a.otpDevices.create(device('alice', Buffer.from('c'.repeat(20))), NOW);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 50 + i }, NOW)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await a.otpDevices.get(id))!.lastStep).toBe(50 + winner);
    });

    it("see each other's writes at once (no stale cache)", async () => {
      const a = open([NEW]);
      const b = open([NEW]);
      await a.enrollmentCodes.create({ username: 'alice', method: 'admin', codeHash: 'h', createdAt: NOW, expiresAt: NOW + 1000, issuedBy: 'root' });
      const code = await b.enrollmentCodes.findByHash('h');
      expect(await a.enrollmentCodes.redeem(code!.id, NOW)).toBe(true);
      expect(await b.enrollmentCodes.redeem(code!.id, NOW)).toBe(false);
    });

    it('answer StoreUnavailableError when the write lock stays taken past the busy timeout', async () => {
      const storage = open([NEW], { busyTimeoutMs: 50 });
      const holder = new BetterSqlite3(path);
      holder.exec('BEGIN IMMEDIATE');
      try {
        await expect(storage.recoveryCodes.replaceSet('alice', ['h'], NOW)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(storage.ping()).resolves.toBeUndefined(); // WAL: readers are not blocked
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      await expect(storage.recoveryCodes.replaceSet('alice', ['h'], NOW)).resolves.toBeUndefined();
    });
  });
});

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
