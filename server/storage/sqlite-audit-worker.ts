import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { WriteAuditBatch } from './audit-batcher.js';
import type { AuditEvent } from './storage.js';

/**
 * Audit batches committed by a worker thread with a connection of its own, so the commit's
 * fsync (`synchronous = FULL`) waits there and not on the event loop. On a shared disk one
 * commit took a median 2.3 ms, p90 11 ms and up to 110 ms, all of it with the event loop
 * blocked: in the login storm, 20 sign-ins a second spent 3.5 s of 15 in audit commits
 * (BENCHMARKS.md). WAL lets the two connections work side by side; the worker waits for
 * the write lock (busy_timeout) instead of the proxy.
 *
 * Durability is unchanged: an append still resolves only once its batch is committed with an
 * fsync. A worker that fails rejects the batch in flight (the appends fail, as they would on a
 * database error) and is replaced for the next batch. It starts with the first batch and ends
 * after `idleMs` without one (its isolate and connection are ≈ 5–10 MB resident; BENCHMARKS.md,
 * "Where the memory goes"); the next batch starts it again.
 */
export interface AuditWorkerWriter {
  write: WriteAuditBatch;
  /** Whether a worker is running now. */
  readonly alive: boolean;
  close(): Promise<void>;
}

/** The worker's program (CommonJS, eval'd: no file to find after bundling). `intercept` is for tests. */
export function auditWorkerSource(intercept = ''): string {
  return `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = FULL');
const insert = db.prepare(
  'INSERT INTO audit_events (at, kind, actor, subject, client_ip, user_agent, site, result, reason, details) ' +
  'VALUES (@at, @kind, @actor, @subject, @clientIp, @userAgent, @site, @result, @reason, @details)');
const writeAll = db.transaction((events) => events.map((e) => Number(insert.run({ ...e, details: JSON.stringify(e.details) }).lastInsertRowid)));
parentPort.on('message', (job) => {
  ${intercept}
  try {
    parentPort.postMessage({ id: job.id, ok: true, ids: writeAll.immediate(job.events) });
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, message: error && error.message ? String(error.message) : 'audit write failed', code: error && error.code });
  }
});
`;
}

type Reply = { id: number; ok: true; ids: number[] } | { id: number; ok: false; message: string; code?: string };

/** The audit worker ends after this long without a batch. */
export const DEFAULT_AUDIT_WORKER_IDLE_MS = 60_000;

export function createSqliteAuditWorkerWriter(options: { path: string; busyTimeoutMs: number; idleMs?: number; source?: string }): AuditWorkerWriter {
  const workerData = { path: options.path, busyTimeoutMs: Math.max(0, Math.trunc(options.busyTimeoutMs)), modulePath: createRequire(import.meta.url).resolve('better-sqlite3') };
  let worker: Worker | undefined;
  let current: { id: number; resolve: (ids: number[]) => void; reject: (error: Error) => void } | undefined;
  let nextId = 1;
  let closed = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  function stopIdleTimer(): void {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
  }

  function startIdleTimer(idle: Worker): void {
    stopIdleTimer();
    const timer = setTimeout(() => {
      if (idleTimer !== timer || worker !== idle || current) return;
      // Detached first: its exit event is then not taken for a failure.
      idleTimer = undefined;
      worker = undefined;
      void idle.terminate().catch(() => {});
    }, options.idleMs ?? DEFAULT_AUDIT_WORKER_IDLE_MS);
    timer.unref();
    idleTimer = timer;
  }

  function fail(from: Worker, error: Error): void {
    if (worker !== from) return;
    stopIdleTimer();
    worker = undefined;
    void from.terminate().catch(() => {});
    const job = current;
    current = undefined;
    job?.reject(error);
  }

  function start(): Worker {
    const created = new Worker(options.source ?? auditWorkerSource(), { eval: true, workerData });
    created.unref();
    created.on('message', (reply: Reply) => {
      const job = current;
      if (worker !== created || !job || reply?.id !== job.id) return fail(created, new Error('audit worker answered out of turn'));
      current = undefined;
      if (!closed) startIdleTimer(created);
      if (reply.ok && Array.isArray(reply.ids) && reply.ids.length > 0) job.resolve(reply.ids);
      else job.reject(Object.assign(new Error(reply.ok ? 'audit worker returned no ids' : `audit: ${reply.message}`), reply.ok ? {} : { code: reply.code }));
    });
    created.on('error', (error) => fail(created, error instanceof Error ? error : new Error(String(error))));
    created.on('messageerror', (error) => fail(created, error));
    created.on('exit', (code) => fail(created, new Error(`audit worker exited (code ${code})`)));
    return created;
  }

  return {
    // The batcher writes one batch at a time (it chains them), so one job is in flight at most.
    write(events: readonly Omit<AuditEvent, 'id'>[]) {
      if (closed) return Promise.reject(new Error('audit: storage closed'));
      if (current) return Promise.reject(new Error('audit: a batch is already being written'));
      return new Promise<number[]>((resolve, reject) => {
        const id = nextId++;
        current = { id, resolve, reject };
        stopIdleTimer();
        try {
          worker ??= start();
          worker.postMessage({ id, events });
        } catch (error) {
          current = undefined;
          if (worker) void worker.terminate().catch(() => {});
          worker = undefined;
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    },
    get alive() {
      return worker !== undefined;
    },
    async close() {
      closed = true;
      stopIdleTimer();
      const running = worker;
      worker = undefined;
      current?.reject(new Error('audit: storage closed'));
      current = undefined;
      await running?.terminate().catch(() => {});
    },
  };
}
