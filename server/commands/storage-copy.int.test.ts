import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createSilentLogger } from '../core/logger.js';
import { COPIED_TABLES } from '../storage/copy-storage.js';
import { openPostgresStorage } from '../storage/postgres-storage.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import type { Storage } from '../storage/storage.js';
import { captureIo } from '../testing/capture-io.js';
import { startPostgresServer, type TestPostgresServer } from '../testing/postgres-server.js';
import { runStorageCopy } from './storage-copy.js';

const KEYS = [
  { id: 'k2026', key: Buffer.alloc(32, 0x61) },
  { id: 'k2025', key: Buffer.alloc(32, 0x62) },
];
const logger = createSilentLogger();
const NOW = Date.UTC(2026, 3, 1);

let server: TestPostgresServer;
let dir: string;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-copy-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

function writeConfig(postgresUrl: string | undefined): string {
  const path = join(dir, 'gatehouse.yml');
  writeFileSync(
    path,
    stringify({
      server: { portal_url: 'https://auth.corp.example/' },
      session: { store: 'memory' },
      authentication: { users_file: 'users.yml' },
      storage: { path: 'unused.db', encryption_keys: KEYS.map((k) => ({ id: k.id, key: k.key.toString('hex') })), ...(postgresUrl ? { postgres: { url: postgresUrl } } : {}) },
    }),
  );
  return path;
}

/** A SQLite database with something in every table, secrets sealed under two different keys. */
async function seedSqlite(path: string) {
  const old = openSqliteStorage({ path, keys: [KEYS[1]!] }, { logger });
  const oldPhone = await old.otpDevices.create(
    { username: 'alice', kind: 'totp', name: 'old phone', secret: Buffer.from('old seed'), algorithm: 'SHA1', digits: 6, period: 30, serial: null },
    NOW,
  );
  old.close();
  const s = openSqliteStorage({ path, keys: KEYS }, { logger });
  const phone = await s.otpDevices.create(
    { username: 'alice', kind: 'totp', name: 'phone', secret: Buffer.from('alice seed'), algorithm: 'SHA256', digits: 8, period: 60, serial: null },
    NOW,
  );
  await s.otpDevices.recordUse(phone.id, { expectedLastStep: null, lastStep: 2 ** 40, driftSteps: -1 }, NOW + 1);
  await s.otpDevices.importTokens(
    Array.from({ length: 1200 }, (_, i) => ({
      username: null,
      kind: 'hotp' as const,
      name: `T${i}`,
      secret: Buffer.from(`seed ${i}`),
      algorithm: 'SHA1' as const,
      digits: 6 as const,
      period: 30,
      serial: `T${String(i).padStart(4, '0')}`,
      counter: i,
    })),
    NOW,
  );
  await s.otpDevices.assign('T0007', 'bob');
  const push = await s.pushDevices.create(
    { username: 'alice', name: 'Pixel', publicKey: Buffer.from('spki'), subscription: '{"endpoint":"https://push.example/x"}', otpDeviceId: phone.id },
    NOW,
  );
  await s.recoveryCodes.replaceSet('alice', ['h3', 'h1', 'h2'], NOW);
  await s.enrollmentCodes.create({ username: 'carol', method: 'email', codeHash: 'e1', createdAt: NOW, expiresAt: NOW + 1000, issuedBy: 'self' });
  await s.userState.setLastUsed('alice', 'totp', phone.id);
  await s.webauthnCredentials.userHandleFor('alice', () => 'handle-a');
  await s.webauthnCredentials.create(
    {
      id: 'cred-1',
      username: 'alice',
      userHandle: 'handle-a',
      publicKey: Buffer.from('cose'),
      counter: 5,
      transports: ['usb'],
      aaguid: '00000000-0000-0000-0000-000000000000',
      backupEligible: true,
      backupState: false,
      userVerified: true,
      discoverable: null,
      name: 'Key',
    },
    NOW,
  );
  await s.accountStates.disable('dave', { actor: 'root', reason: 'left', now: NOW });
  for (let i = 0; i < 30; i++) await s.auditEvents.append({ at: NOW + i, kind: 'sign_in.failure', result: 'failure', subject: 'alice', details: { count: i } });
  s.close();
  return { oldPhone, phone, push };
}

describe('gatehouse storage copy --from FILE.db', () => {
  it('copies every table into PostgreSQL, secrets still sealed and still opening, ids and counts kept', async () => {
    const sqlite = join(dir, 'old.db');
    const { oldPhone, phone, push } = await seedSqlite(sqlite);
    const url = await server.createDatabase();
    const io = captureIo();
    expect(await runStorageCopy(['--from', sqlite, '--config', writeConfig(url)], {}, io.io, () => NOW)).toBe(0);
    expect(io.err()).toContain('otp_devices: 1202/1202');
    expect(io.err()).toMatch(/otp_devices: 500\/1202/); // progress, batch by batch
    expect(io.out()).toContain('audit_events: 30 rows copied, counts match');

    // Ciphertext was copied, not re-sealed: the key ids stay as they were.
    const db = new BetterSqlite3(sqlite, { readonly: true });
    const pgStorage: Storage = await openPostgresStorage({ url, keys: KEYS }, { logger });
    try {
      const raw = await import('pg').then(({ default: pg }) => new pg.Client({ connectionString: url }));
      await raw.connect();
      for (const table of COPIED_TABLES) {
        const n = Number((await raw.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        expect([table, n]).toEqual([table, db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()]);
      }
      const sealed = (await raw.query('SELECT id, secret, secret_key_id FROM otp_devices WHERE id = ANY($1) ORDER BY id', [[oldPhone.id, phone.id]])).rows;
      expect(sealed).toEqual(db.prepare('SELECT id, secret, secret_key_id FROM otp_devices WHERE id IN (?, ?) ORDER BY id').all(oldPhone.id, phone.id));
      await raw.end();

      // Secrets open only because the id (their associated data) came along.
      expect((await pgStorage.otpDevices.get(oldPhone.id))!.secret.toString()).toBe('old seed');
      expect(await pgStorage.otpDevices.get(phone.id)).toMatchObject({ secret: Buffer.from('alice seed'), lastStep: 2 ** 40, driftSteps: -1, digits: 8, algorithm: 'SHA256' });
      expect((await pgStorage.otpDevices.findBySerial('T0999'))!).toMatchObject({ counter: 999, secret: Buffer.from('seed 999') });
      expect((await pgStorage.otpDevices.findBySerial('T0007'))!.username).toBe('bob');
      expect((await pgStorage.pushDevices.get(push.id))!.subscription).toBe('{"endpoint":"https://push.example/x"}');
      expect((await pgStorage.recoveryCodes.listForUser('alice')).map((c) => c.codeHash)).toEqual(['h3', 'h1', 'h2']);
      expect(await pgStorage.webauthnCredentials.findUserByHandle('handle-a')).toBe('alice');
      expect((await pgStorage.webauthnCredentials.get('cred-1'))!.counter).toBe(5);
      expect(await pgStorage.accountStates.get('dave')).toMatchObject({ disabledBy: 'root' });
      expect(await pgStorage.enrollmentCodes.findByHash('e1')).toMatchObject({ username: 'carol' });

      // Audit ids are kept, and the next event continues after them.
      const events = await pgStorage.auditEvents.after(0, 100);
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(events[29]!.details).toEqual({ count: 29 });
      expect((await pgStorage.auditEvents.append({ at: NOW, kind: 'x', result: 'info' })).id).toBe(31);
    } finally {
      pgStorage.close();
      db.close();
    }
  }, 120_000);

  it('refuses a target that is not empty, and writes nothing', async () => {
    const sqlite = join(dir, 'old.db');
    await seedSqlite(sqlite);
    const url = await server.createDatabase();
    const pgStorage = await openPostgresStorage({ url, keys: KEYS }, { logger });
    await pgStorage.accountStates.disable('someone', { actor: 'root', reason: null, now: NOW });
    pgStorage.close();
    const io = captureIo();
    expect(await runStorageCopy(['--from', sqlite, '--config', writeConfig(url)], {}, io.io, () => NOW)).toBe(1);
    expect(io.err()).toMatch(/not empty \(table account_states has rows\)/);
    const again = await openPostgresStorage({ url, keys: KEYS }, { logger });
    expect(await again.otpDevices.listTokens()).toEqual([]);
    again.close();
  }, 120_000);

  it('refuses without storage.postgres, without --from, or with a missing file', async () => {
    const io = captureIo();
    expect(await runStorageCopy(['--from', join(dir, 'old.db'), '--config', writeConfig(undefined)], {}, io.io)).toBe(1);
    expect(io.err()).toContain('storage.postgres is not set');
    expect(await runStorageCopy(['--config', writeConfig(undefined)], {}, io.io)).toBe(2);
    const url = await server.createDatabase();
    expect(await runStorageCopy(['--from', join(dir, 'nope.db'), '--config', writeConfig(url)], {}, io.io)).toBe(1);
    expect(io.err()).toContain('nope.db: no database there');
  });

  it('copies every table the migrations create (none forgotten)', () => {
    const db = new BetterSqlite3(join(dir, 'schema.db'));
    db.close();
    const s = openSqliteStorage({ path: join(dir, 'schema.db'), keys: KEYS }, { logger });
    s.close();
    const check = new BetterSqlite3(join(dir, 'schema.db'), { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name").pluck().all();
    check.close();
    expect([...COPIED_TABLES].sort()).toEqual(tables);
  });
});
