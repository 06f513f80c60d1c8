import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SecretKey } from './secret-box.js';
import type { Storage } from './storage.js';

export const RACE_KEY: SecretKey = { id: 'race', key: Buffer.alloc(32, 0x42) };
const SCRIPT = fileURLToPath(new URL('./fixtures/record-use-race.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

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

/**
 * Several gateway processes on one database: single use must hold between processes, not only
 * within one. `open` gives the location the processes open (a SQLite file or a postgres://
 * URL) and a storage of this process on it, both keyed with RACE_KEY.
 */
export function describeMultiProcessContract(backend: string, open: () => Promise<{ location: string; storage: Storage }>): void {
  describe(`${backend} storage shared by gateway processes`, () => {
    it('lets exactly one of 6 processes × 20 simultaneous uses with the same expectation win', async () => {
      const { location, storage } = await open();
      try {
        const { id } = await storage.otpDevices.create(
          { username: 'alice', kind: 'totp', name: 'phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
          Date.now(),
        );
        await storage.otpDevices.recordUse(id, { expectedLastStep: null, lastStep: 7 }, Date.now());
        const startAt = Date.now() + 8000; // after every process has started and opened the database (slow on a loaded machine)
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => runInstance([location, RACE_KEY.key.toString('hex'), id, String(startAt), '20', String(i + 1)])),
        );
        expect(results.reduce((sum, r) => sum + r.wins, 0)).toBe(1);
        const device = await storage.otpDevices.get(id);
        expect(device!.lastStep).toBe(8);
        expect(results[device!.driftSteps - 1]!.wins).toBe(1); // the recorded write is the winner's
      } finally {
        storage.close();
      }
    }, 120_000);
  });
}
