import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import { prepareAuditEvent } from './audit-batcher.js';
import { auditWorkerSource, createSqliteAuditWorkerWriter, type AuditWorkerWriter } from './sqlite-audit-worker.js';
import { openSqliteStorage } from './sqlite-storage.js';
import type { Storage } from './storage.js';

const NOW = Date.UTC(2026, 0, 1);
const KEY = { id: 'k1', key: Buffer.alloc(32, 0x11) };

let dir: string;
let path: string;
const storages: Storage[] = [];
const writers: AuditWorkerWriter[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-worker-'));
  path = join(dir, 'gatehouse.db');
  // The schema, as the gateway's own connection makes it before the worker opens the file.
  storages.push(openSqliteStorage({ path, keys: [KEY] }, { logger: createSilentLogger() }));
});

afterEach(async () => {
  vi.useRealTimers();
  for (const writer of writers.splice(0)) await writer.close();
  for (const storage of storages.splice(0)) await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (subject: string) => prepareAuditEvent({ at: NOW, kind: 'sign-in', actor: subject, subject, clientIp: '192.0.2.1', result: 'success', details: {} });

function writer(source?: string, idleMs?: number): AuditWorkerWriter {
  const created = createSqliteAuditWorkerWriter({ path, busyTimeoutMs: 2000, ...(source ? { source } : {}), ...(idleMs !== undefined ? { idleMs } : {}) });
  writers.push(created);
  return created;
}

function subjects(): string[] {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db
      .prepare<[], { subject: string }>('SELECT subject FROM audit_events ORDER BY id')
      .all()
      .map((row) => row.subject);
  } finally {
    db.close();
  }
}

describe('createSqliteAuditWorkerWriter', () => {
  it('commits each batch from its own connection and answers the ids in order', async () => {
    const w = writer();
    const first = await w.write([event('alice'), event('bob')]);
    const second = await w.write([event('carol')]);
    expect(first).toHaveLength(2);
    expect(first[1]).toBe(first[0]! + 1);
    expect(second[0]).toBe(first[1]! + 1);
    expect(subjects()).toEqual(['alice', 'bob', 'carol']);
  });

  it('a worker that dies with a batch in flight rejects that batch, writes nothing of it, and the next batch works', async () => {
    const w = writer(auditWorkerSource("if (job.events[0].subject === 'crash') process.exit(5);"));
    await expect(w.write([event('crash'), event('x')])).rejects.toThrow(/exited/);
    expect(await w.write([event('after')])).toHaveLength(1);
    expect(subjects()).toEqual(['after']);
  });

  it('an answer to another batch, or without ids, is a failure, never a stored event', async () => {
    const w = writer(
      auditWorkerSource(`
        if (job.events[0].subject === 'wrong-id') return parentPort.postMessage({ id: job.id + 1, ok: true, ids: [1] });
        if (job.events[0].subject === 'no-ids') return parentPort.postMessage({ id: job.id, ok: true, ids: [] });
      `),
    );
    await expect(w.write([event('wrong-id')])).rejects.toThrow(/out of turn/);
    await expect(w.write([event('no-ids')])).rejects.toThrow(/no ids/);
    expect(await w.write([event('fine')])).toHaveLength(1);
  });

  it('a database error rejects the batch with its code', async () => {
    const w = writer();
    const bad = { ...event('x'), result: undefined as never };
    await expect(w.write([bad])).rejects.toMatchObject({ message: expect.stringMatching(/^audit: /) });
    expect(subjects()).toEqual([]);
  });

  it('after close, writes are refused', async () => {
    const w = writer();
    await w.write([event('a')]);
    await w.close();
    await expect(w.write([event('b')])).rejects.toThrow(/closed/);
  });

  it('through openSqliteStorage: appends resolve once committed and read back on the main connection', async () => {
    const storage = storages[0]!;
    const stored = await Promise.all(['a', 'b', 'c'].map((s) => storage.auditEvents.append({ at: NOW, kind: 'sign-in', subject: s, result: 'success' })));
    expect(stored.map((e) => e.subject)).toEqual(['a', 'b', 'c']);
    expect((await storage.auditEvents.after(0, 10)).map((e) => e.subject)).toEqual(['a', 'b', 'c']);
  });

  describe('starts with the first batch and ends when idle', () => {
    // Only the writer's timers are faked: the worker's messages and exit are real events.
    const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

    it('ends after idleMs without a batch, and the next batch starts it again and commits', async () => {
      fakeTimers();
      const w = writer(undefined, 5000);
      expect(w.alive).toBe(false);
      await w.write([event('alice')]);
      expect(w.alive).toBe(true);
      vi.advanceTimersByTime(4999);
      expect(w.alive).toBe(true);
      vi.advanceTimersByTime(1);
      expect(w.alive).toBe(false);
      const ids = await w.write([event('bob')]);
      expect(ids).toHaveLength(1);
      expect(subjects()).toEqual(['alice', 'bob']);
      expect(w.alive).toBe(true);
    });

    it.runIf(process.platform === 'linux')('the idle worker thread really ends', async () => {
      fakeTimers();
      const threads = () => readdirSync('/proc/self/task').length;
      const before = threads();
      const w = writer(undefined, 1000);
      await w.write([event('alice')]);
      expect(threads()).toBeGreaterThan(before);
      vi.advanceTimersByTime(1000);
      await vi.waitFor(() => expect(threads()).toBe(before), { timeout: 30_000, interval: 20 });
    });

    it('each batch restarts the idle time, and a batch in flight is never cut off', async () => {
      fakeTimers();
      const w = writer(undefined, 1000);
      for (const name of ['a', 'b', 'c', 'd']) {
        vi.advanceTimersByTime(900);
        await w.write([event(name)]);
      }
      expect(w.alive).toBe(true);
      const slow = writer(auditWorkerSource("if (job.events[0].subject === 'slow') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); }"), 1000);
      await slow.write([event('first')]);
      const inFlight = slow.write([event('slow')]);
      vi.advanceTimersByTime(10_000);
      expect(slow.alive).toBe(true);
      expect(await inFlight).toHaveLength(1);
      expect(subjects()).toEqual(['a', 'b', 'c', 'd', 'first', 'slow']);
    });
  });
});
