import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from './sqlite-storage.js';

const KEY = Buffer.alloc(32, 0x42);
const SCRIPT = fileURLToPath(new URL('./fixtures/record-use-race.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-race-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runInstance(args: string[]): Promise<{ wins: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { wins: number }) : reject(new Error(`instance exited ${code}: ${err}`))));
  });
}

describe('SQLite storage shared by gateway processes', () => {
  it('lets exactly one of 6 processes × 20 simultaneous uses with the same expectation win', async () => {
    const path = join(dir, 'gatehouse.db');
    const storage = openSqliteStorage({ path, keys: [{ id: 'race', key: KEY }] }, { logger: createSilentLogger() });
    const { id } = await storage.otpDevices.create(
      { username: 'alice', kind: 'totp', name: 'phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    await storage.otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 7 }, Date.now());
    const startAt = Date.now() + 3000; // after every process has started and opened the file
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => runInstance([path, KEY.toString('hex'), id, String(startAt), '20', String(i + 1)])));
    expect(results.reduce((sum, r) => sum + r.wins, 0)).toBe(1);
    const device = await storage.otpDevices.get(id);
    expect(device!.lastStep).toBe(8);
    expect(results[device!.driftSteps - 1]!.wins).toBe(1); // the recorded write is the winner's
    storage.close();
  });
});
