import { captureIo } from '../testing/capture-io.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { runStorageRotateKey } from './storage-rotate-key.js';

const OLD = { id: 'k2025', key: Buffer.alloc(32, 0x31) };
const NEW = { id: 'k2026', key: Buffer.alloc(32, 0x32) };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-rotate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const io = captureIo;

/** A config whose storage.path is relative, as operators write it: it must resolve beside the config. */
function writeConfig(keys: { id: string; key: Buffer }[], extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'gatehouse.yml');
  writeFileSync(
    path,
    stringify({
      server: { portal_url: 'https://auth.corp.example/' },
      session: { store: 'memory' },
      authentication: { users_file: 'users.yml' },
      storage: { path: 'data.db', encryption_keys: keys.map((k, i) => ({ id: k.id, key: i % 2 ? k.key.toString('base64') : k.key.toString('hex') })) },
      ...extra,
    }),
  );
  return path;
}

async function seed(keys: { id: string; key: Buffer }[], count: number): Promise<string[]> {
  const storage = openSqliteStorage({ path: join(dir, 'data.db'), keys }, { logger: createSilentLogger() });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const device = await storage.otpDevices.create(
      { username: `u${i}`, kind: 'totp', name: 'phone', secret: Buffer.from(`seed-${i}`.padEnd(20, '*')), algorithm: 'SHA1', digits: 6, period: 30, serial: null },
      0,
    );
    ids.push(device.id);
  }
  storage.close();
  return ids;
}

describe('gatehouse storage rotate-key', () => {
  it('re-encrypts every secret under the first key, with progress on stderr, so the old key can go', async () => {
    const ids = await seed([OLD], 250);
    const t = io();
    expect(await runStorageRotateKey(writeConfig([NEW, OLD]), {}, t.io)).toBe(0);
    expect(t.out()).toContain('250 secrets re-encrypted under key "k2026".');
    expect(t.out()).toContain('"k2025" can be removed');
    expect(t.err()).toBe('re-encrypting secrets: 200/250\nre-encrypting secrets: 250/250\n');

    const again = io();
    expect(await runStorageRotateKey(writeConfig([NEW, OLD]), {}, again.io)).toBe(0);
    expect(again.out()).toContain('0 secrets re-encrypted');

    const storage = openSqliteStorage({ path: join(dir, 'data.db'), keys: [NEW] }, { logger: createSilentLogger() });
    for (const [i, id] of ids.entries()) expect((await storage.otpDevices.get(id))!.secret.toString()).toBe(`seed-${i}`.padEnd(20, '*'));
    storage.close();
  });

  it('says "1 secret" in the singular and nothing about old keys when there are none', async () => {
    await seed([NEW], 0);
    await seed([OLD, NEW], 1);
    const t = io();
    expect(await runStorageRotateKey(writeConfig([NEW, OLD]), {}, t.io)).toBe(0);
    expect(t.out()).toContain('1 secret re-encrypted');
    const only = io();
    expect(await runStorageRotateKey(writeConfig([NEW]), {}, only.io)).toBe(0);
    expect(only.out()).toBe('0 secrets re-encrypted under key "k2026".\n');
  });

  it("refuses when a stored secret's key is missing from the config, naming it, and changes nothing", async () => {
    await seed([OLD], 3);
    const t = io();
    expect(await runStorageRotateKey(writeConfig([NEW]), {}, t.io)).toBe(1);
    expect(t.err()).toContain('"k2025"');
    expect(t.out()).toBe('');
    const t2 = io();
    expect(await runStorageRotateKey(writeConfig([NEW, OLD]), {}, t2.io)).toBe(0);
    expect(t2.out()).toContain('3 secrets re-encrypted');
  });

  it('refuses a database path with no database rather than creating one', async () => {
    const t = io();
    expect(await runStorageRotateKey(writeConfig([NEW]), {}, t.io)).toBe(1);
    expect(t.err()).toContain(join(dir, 'data.db'));
    expect(existsSync(join(dir, 'data.db'))).toBe(false);
  });

  it('refuses a config with no keys', async () => {
    await seed([NEW], 0);
    const t = io();
    expect(await runStorageRotateKey(writeConfig([], { second_factors: { totp: { enabled: false } } }), {}, t.io)).toBe(1);
    expect(t.err()).toContain('storage.encryption_keys is empty');
  });

  it('reports config errors with their paths', async () => {
    const t = io();
    const path = writeConfig([{ id: 'bad id', key: Buffer.alloc(32) }]);
    expect(await runStorageRotateKey(path, {}, t.io)).toBe(1);
    expect(t.err()).toContain('storage.encryption_keys[0].id');
  });
});
