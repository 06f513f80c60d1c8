import { captureIo } from '../testing/capture-io.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { storageOptionsFromConfig } from '../storage/storage-options.js';
import { testStorage } from '../testing/test-storage.js';
import { runFactorsCommand } from './factors.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-factors-');
const CONFIG = join(dir, 'gatehouse.yml');
writeFileSync(
  CONFIG,
  stringify({ server: { portal_url: 'https://auth.corp.example/' }, session: { store: 'memory' }, authentication: { users_file: 'users.yml' }, storage: testStorage('g.db') }),
);

async function run(...args: string[]) {
  const captured = captureIo();
  const code = await runFactorsCommand(args, { GATEHOUSE_CONFIG: CONFIG }, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

describe('gatehouse factors list', () => {
  it('refuses a missing database and bad arguments', async () => {
    expect((await run('list', 'alice')).code).toBe(1);
    expect((await run('list')).code).toBe(2);
    expect((await run('show', 'alice')).code).toBe(2);
  });

  it('shows each factor with its drift, and never a secret', async () => {
    const loaded = loadConfigFile(CONFIG, {});
    if (!loaded.ok) throw new Error(loaded.errors.join());
    const storage = openSqliteStorage(storageOptionsFromConfig(loaded.config.storage, CONFIG), { logger: createSilentLogger() });
    const secret = Buffer.from('a-very-secret-seed-1');
    const device = await storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Phone', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.UTC(2026, 10, 1),
    );
    await storage.otpDevices.recordUse(device.id, { expectedLastStep: null, lastStep: 1, driftSteps: -7 }, Date.UTC(2026, 10, 2));
    await storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'Unconfirmed', secret, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: false },
      Date.UTC(2026, 10, 3),
    );
    await storage.recoveryCodes.replaceSet('alice', ['h1', 'h2'], Date.UTC(2026, 10, 1));
    await storage.webauthnCredentials.create(
      {
        id: 'cred-1',
        username: 'alice',
        userHandle: 'h',
        publicKey: Buffer.alloc(77, 1),
        counter: 5,
        transports: ['usb'],
        aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
        backupEligible: false,
        backupState: false,
        userVerified: false,
        discoverable: false,
        name: 'Desk key',
      },
      Date.UTC(2026, 10, 4),
    );
    storage.close();

    const result = await run('list', 'Alice');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/totp\s+Phone\s+-\s+2026-11-01T00:00:00Z\s+2026-11-02T00:00:00Z\s+-210s/);
    expect(result.out).toMatch(/webauthn\s+Desk key\s+security key\s+2026-11-04T00:00:00Z\s+-\s+counter 5/);
    expect(result.out).not.toContain('Unconfirmed');
    expect(result.out).toContain('recovery codes: 2 of 2 unused');
    expect(result.out).not.toContain(secret.toString());
    expect(result.out).not.toContain(secret.toString('hex'));
    expect((await run('list', 'bob')).out).toBe('bob has no second factor.\n');
  });
});
