import { createRequire } from 'node:module';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { ARGON2ID, type Argon2idParameters, type PasswordHasher } from './password-hash.js';

/**
 * Password hashing in worker threads at a lower CPU priority, so sign-ins take only the CPU
 * the proxy leaves.
 *
 * argon2 on libuv's thread pool (the `argon2` package's way) runs at the priority of every
 * other thread of the process, so on a busy core the kernel splits the time evenly between the
 * hashing threads and the event loop: in the login storm the proxy's p99 grew five-fold
 * (BENCHMARKS.md). Here each worker thread runs `@node-rs/argon2` synchronously and first
 * lowers its own priority: on Linux `setpriority(PRIO_PROCESS, 0, n)` (os.setPriority(n))
 * applies to the calling thread only, so the event loop keeps nice 0 and the kernel prefers it
 * whenever both want the core. Elsewhere it would renice the whole process, so the workers
 * keep the normal priority there (the pool still keeps hashing off the event loop and libuv's
 * thread pool).
 *
 * Failures fail closed: a worker that crashes or exits with a check in flight rejects that check
 * (verifyPasswordHash turns a rejection into "no") and is replaced by a new worker for the next
 * one; only a strict `true` from the worker is ever a match.
 *
 * Workers start on first use and end after `idleMs` without a check, so a gateway that nobody
 * signs in to holds no hashing thread: each one is an isolate of its own, ≈ 9–10 MB resident
 * while it runs, about half of which its exit gives back (the rest is the node binary's pages,
 * shared; BENCHMARKS.md, "Where the memory goes"). A sign-in after a quiet spell pays for starting one
 * (tens of ms, off the event loop's hot path); a storm keeps them running.
 */
export interface HashWorkerPool extends PasswordHasher {
  /** Worker threads alive now. */
  readonly alive: number;
  /** Ends the workers; checks still waiting are rejected. */
  close(): Promise<void>;
}

export interface HashWorkerPoolOptions {
  /** Worker threads, at most; the hash queue runs at most as many checks at once. */
  size: number;
  /** Nice value of the worker threads (Linux); 0 leaves them at the process's priority. */
  niceness?: number;
  /** Told when a worker dies with a check in flight or fails to start. */
  onWorkerFailure?: (error: Error) => void;
  /** How long a worker waits for its next check before it ends; default DEFAULT_HASH_WORKER_IDLE_MS. */
  idleMs?: number;
  /** V8 heap limits of each worker; default HASH_WORKER_RESOURCE_LIMITS. */
  resourceLimits?: ResourceLimits;
  /** Tests only: the worker's program (hashWorkerSource with an intercept), to make workers crash on cue. */
  source?: string;
}

/** A worker ends after this long without a check; the next check starts a new one. */
export const DEFAULT_HASH_WORKER_IDLE_MS = 60_000;

/**
 * argon2's memory (m = 19 MiB and up) is allocated by the native module, outside V8's heap;
 * the worker's JavaScript holds one short job at a time (a password of at most 1 KiB and a
 * hash). V8's defaults would let its young generation alone grow to 48 MB. A worker that
 * exceeds these ends like a crashed one: its check is refused and the worker replaced.
 */
export const HASH_WORKER_RESOURCE_LIMITS: ResourceLimits = Object.freeze({ maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 });

/** Lower than the proxy: the kernel gives a nice-10 thread about a tenth of a contended core. */
export const DEFAULT_HASH_NICENESS = 10;

/**
 * The worker's program, CommonJS for `eval: true` (no file to find after bundling). The
 * module path comes resolved from the gateway's own location, so the worker loads the same
 * `@node-rs/argon2` whatever the working directory. `intercept` is for tests: code run first
 * for each job (`job` in scope), to make a worker misbehave on cue.
 */
export function hashWorkerSource(intercept = ''): string {
  return `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.niceness > 0 && process.platform === 'linux') {
  try { require('node:os').setPriority(workerData.niceness); } catch {}
}
const argon2 = require(workerData.modulePath);
parentPort.on('message', (job) => {
  ${intercept}
  let reply;
  try {
    reply = job.op === 'verify'
      ? { id: job.id, ok: true, value: argon2.verifySync(job.hash, job.password) === true }
      : { id: job.id, ok: true, value: argon2.hashSync(job.password, { algorithm: ${ARGON2ID}, ...job.parameters }) };
  } catch (error) {
    reply = { id: job.id, ok: false, message: error && error.message ? String(error.message) : 'argon2 failed' };
  }
  parentPort.postMessage(reply);
});
`;
}

type Request = { op: 'verify'; hash: string; password: string } | { op: 'hash'; password: string; parameters: Argon2idParameters };

interface Job {
  id: number;
  request: Request;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker?: Worker;
  job?: Job;
  /** Ends the idle worker when it fires; cleared when a check is handed to it. */
  idleTimer?: ReturnType<typeof setTimeout>;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

export function createHashWorkerPool(options: HashWorkerPoolOptions): HashWorkerPool {
  const size = Math.max(1, Math.floor(options.size));
  const workerData = { niceness: options.niceness ?? DEFAULT_HASH_NICENESS, modulePath: createRequire(import.meta.url).resolve('@node-rs/argon2') };
  const source = options.source ?? hashWorkerSource();
  const idleMs = options.idleMs ?? DEFAULT_HASH_WORKER_IDLE_MS;
  const resourceLimits = options.resourceLimits ?? HASH_WORKER_RESOURCE_LIMITS;
  const slots: Slot[] = Array.from({ length: size }, () => ({}));
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;

  function stopIdleTimer(slot: Slot): void {
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
  }

  function startIdleTimer(slot: Slot, worker: Worker): void {
    stopIdleTimer(slot);
    const timer = setTimeout(() => {
      if (slot.idleTimer !== timer || slot.worker !== worker || slot.job) return;
      // Detached first: its exit event then finds another worker (or none) in the slot and is
      // not taken for a failure.
      slot.idleTimer = undefined;
      slot.worker = undefined;
      void worker.terminate().catch(() => {});
    }, idleMs);
    timer.unref();
    slot.idleTimer = timer;
  }

  function fail(slot: Slot, worker: Worker, error: Error): void {
    // Only the slot's current worker speaks for it: a replaced worker's late events are ignored.
    if (slot.worker !== worker) return;
    stopIdleTimer(slot);
    slot.worker = undefined;
    const job = slot.job;
    slot.job = undefined;
    void worker.terminate().catch(() => {});
    if (job) {
      options.onWorkerFailure?.(error);
      job.reject(error);
    }
    dispatch();
  }

  function start(slot: Slot): Worker {
    const worker = new Worker(source, { eval: true, workerData, resourceLimits });
    // An idle pool must not keep a command (or a test) running.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = slot.job;
      if (slot.worker !== worker || !job || reply?.id !== job.id) return fail(slot, worker, new Error('password hashing worker answered out of turn'));
      slot.job = undefined;
      if (reply.ok) job.resolve(reply.value);
      else job.reject(new Error(`argon2: ${reply.message}`));
      dispatch();
      if (!slot.job && !closed) startIdleTimer(slot, worker);
    });
    worker.on('error', (error) => fail(slot, worker, error instanceof Error ? error : new Error(String(error))));
    worker.on('messageerror', (error) => fail(slot, worker, error));
    worker.on('exit', (code) => fail(slot, worker, new Error(`password hashing worker exited (code ${code})`)));
    return worker;
  }

  function dispatch(): void {
    if (closed) return;
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (slot.job) continue;
      const job = waiting.shift()!;
      slot.job = job;
      stopIdleTimer(slot);
      try {
        slot.worker ??= start(slot);
        slot.worker.postMessage({ id: job.id, ...job.request });
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        slot.job = undefined;
        if (slot.worker) void slot.worker.terminate().catch(() => {});
        slot.worker = undefined;
        options.onWorkerFailure?.(failure);
        job.reject(failure);
      }
    }
  }

  function submit(request: Request): Promise<unknown> {
    if (closed) return Promise.reject(new Error('password hashing pool closed'));
    return new Promise((resolve, reject) => {
      waiting.push({ id: nextId++, request, resolve, reject });
      dispatch();
    });
  }

  return {
    async hash(password, parameters) {
      const value = await submit({ op: 'hash', password, parameters: { memoryCost: parameters.memoryCost, timeCost: parameters.timeCost, parallelism: parameters.parallelism } });
      if (typeof value !== 'string') throw new Error('password hashing worker returned no hash');
      return value;
    },
    async verify(hash, password) {
      return (await submit({ op: 'verify', hash, password })) === true;
    },
    get alive() {
      return slots.filter((slot) => slot.worker).length;
    },
    async close() {
      closed = true;
      const error = new Error('password hashing pool closed');
      for (const job of waiting.splice(0)) job.reject(error);
      await Promise.all(
        slots.map(async (slot) => {
          stopIdleTimer(slot);
          const { worker, job } = slot;
          slot.worker = undefined;
          slot.job = undefined;
          job?.reject(error);
          await worker?.terminate().catch(() => {});
        }),
      );
    },
  };
}
