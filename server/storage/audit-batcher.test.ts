import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { createBatchedAuditStore, type WriteAuditBatch } from './audit-batcher.js';
import { migrateSqlite } from './migrations.js';
import { createSqliteAuditBatchWriter, createSqliteAuditStore } from './sqlite-audit-events.js';
import { openSqliteStorage } from './sqlite-storage.js';
import type { NewAuditEvent } from './storage.js';
import { TEST_STORAGE_KEY } from './testing/test-storage.js';

const NOW = Date.UTC(2026, 0, 1);
const event = (i: number, overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  at: NOW + i,
  kind: 'sign_in.failure',
  result: 'failure',
  subject: `user${i}`,
  details: { count: i },
  ...overrides,
});

let db: BetterSqlite3.Database;
let dir: string;
beforeEach(() => {
  db = new BetterSqlite3(':memory:');
  migrateSqlite(db, NOW);
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-batch-'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real SQLite batch writer, counting its transactions (one call = one transaction). */
function countingWriter() {
  const real = createSqliteAuditBatchWriter(db);
  const sizes: number[] = [];
  const write: WriteAuditBatch = (events) => {
    sizes.push(events.length);
    return real(events);
  };
  return { write, sizes };
}

describe('batched audit appends', () => {
  it('writes 1000 parallel appends in a few transactions, each append getting its own stored id', async () => {
    const { write, sizes } = countingWriter();
    const store = createBatchedAuditStore(createSqliteAuditStore(db), write, { delayMs: 5, maxBatch: 500, maxQueue: 10_000 });
    const stored = await Promise.all(Array.from({ length: 1000 }, (_, i) => store.append(event(i))));
    expect(sizes.length).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(new Set(stored.map((e) => e.id)).size).toBe(1000);
    // Each caller's answer is its own row.
    for (const e of stored.filter((_, i) => i % 97 === 0)) {
      const [row] = await store.after(e.id - 1, 1);
      expect(row).toEqual(e);
    }
    expect(db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(1000);
  });

  it('answers an append only after its batch is committed', async () => {
    let release!: () => void;
    const real = createSqliteAuditBatchWriter(db);
    const store = createBatchedAuditStore(
      createSqliteAuditStore(db),
      async (events) => {
        await new Promise<void>((resolve) => (release = resolve));
        return real(events);
      },
      { delayMs: 1, maxBatch: 500, maxQueue: 100 },
    );
    let settled = false;
    const pending = store.append(event(1)).then((e) => ((settled = true), e));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    release();
    expect((await pending).id).toBe(1);
  });

  it('refuses a bad event alone: the others of the same moment are stored', async () => {
    const { write, sizes } = countingWriter();
    const store = createBatchedAuditStore(createSqliteAuditStore(db), write);
    const results = await Promise.allSettled([store.append(event(1)), store.append(event(2, { details: { password: 'x' } })), store.append(event(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(sizes).toEqual([2]);
  });

  it('rejects every append of a batch whose transaction failed, and writes none of it', async () => {
    const store = createBatchedAuditStore(createSqliteAuditStore(db), async () => {
      throw new StoreUnavailableError('database: SQLITE_BUSY');
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.append(event(i))));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });

  it('bounds the queue: beyond maxQueue, appends fail as an outage instead of growing memory', async () => {
    let release!: () => void;
    const real = createSqliteAuditBatchWriter(db);
    const store = createBatchedAuditStore(
      createSqliteAuditStore(db),
      async (events) => {
        await new Promise<void>((resolve) => (release = resolve));
        return real(events);
      },
      { delayMs: 1, maxBatch: 10, maxQueue: 25 },
    );
    const accepted = Array.from({ length: 25 }, (_, i) => store.append(event(i)));
    await expect(store.append(event(99))).rejects.toBeInstanceOf(StoreUnavailableError);
    const releaser = setInterval(() => release?.(), 5);
    await Promise.all(accepted);
    clearInterval(releaser);
    expect(db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(25);
  });

  it('a clean stop loses nothing: close() writes what is queued', async () => {
    const path = join(dir, 'g.db');
    const storage = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    const appends = Array.from({ length: 50 }, (_, i) => storage.auditEvents.append(event(i)));
    await storage.close(); // before any batch timer fired
    expect((await Promise.all(appends)).map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const again = openSqliteStorage({ path, keys: [TEST_STORAGE_KEY] }, { logger: createSilentLogger() });
    expect(await again.auditEvents.after(0, 100)).toHaveLength(50);
    await again.close();
  });
});
