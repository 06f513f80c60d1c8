import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SecretKey } from '../secret-box.js';
import type { Storage } from '../storage.js';

export const RACE_KEY: SecretKey = { id: 'race', key: Buffer.alloc(32, 0x42) };
const SCRIPT = fileURLToPath(new URL('./record-use-race.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

interface Instance {
  /** Resolves once the instance has opened the database and waits for the go. */
  ready: Promise<void>;
  go(): void;
  result: Promise<{ wins: number }>;
}

/** Starts one instance; it opens the database, then waits (a barrier, not a clock) for go(). */
function startInstance(args: string[]): Instance {
  const child = spawn(process.execPath, ['--import', TSX, SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  const result = new Promise<{ wins: number }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.startsWith('ready\n')) signalReady();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { wins: number }) : reject(new Error(`instance exited ${code}: ${err}`))));
  });
  return {
    // An instance that dies before it is ready fails the test instead of holding the barrier.
    ready: Promise.race([ready, result.then(() => Promise.reject(new Error(`instance ended before it was ready: ${out}`)))]),
    go: () => child.stdin.end('go\n'),
    result,
  };
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
        const instances = Array.from({ length: 6 }, (_, i) => startInstance([location, RACE_KEY.key.toString('hex'), id, '20', String(i + 1)]));
        // Starting six Node processes takes seconds on a busy machine: wait for all, then release all at once.
        await Promise.all(instances.map((instance) => instance.ready));
        for (const instance of instances) instance.go();
        const results = await Promise.all(instances.map((instance) => instance.result));
        expect(results.reduce((sum, r) => sum + r.wins, 0)).toBe(1);
        const device = await storage.otpDevices.get(id);
        expect(device!.lastStep).toBe(8);
        expect(results[device!.driftSteps - 1]!.wins).toBe(1); // the recorded write is the winner's
      } finally {
        storage.close();
      }
    }, 180_000); // a ceiling for six processes starting on a busy machine, not an assertion
  });
}
