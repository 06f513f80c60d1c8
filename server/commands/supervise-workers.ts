import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../core/logger.js';
import type { CommandIo } from './check-config.js';
import { gatherWorkerMetrics } from './cluster-metrics.js';

/** Workers that exit before they listen, one after another, before the primary gives up. */
export const MAX_START_FAILURES = 3;
/** A worker that ran at least this long before it crashed counts as a fresh start. */
const HEALTHY_AFTER_MS = 30_000;
/** After SIGTERM, the workers' drain deadline plus this before the primary kills them. */
const STOP_MARGIN_MS = 10_000;

/** The pause before a worker is started again: 0.5 s doubling with each crash in a row, at most 30 s. */
export function restartDelay(crashesInARow: number): number {
  return Math.min(500 * 2 ** Math.max(0, crashesInARow - 1), 30_000);
}

/**
 * The primary process of `server.workers`: starts `count` workers (each runs `gatehouse serve`
 * with the same arguments and, being a cluster worker, serves the shared port), starts one
 * again when it exits, and on SIGTERM/SIGINT passes the signal on and waits for them to drain.
 * It opens nothing itself: Redis, storage and the users file are the workers'; it merges their
 * metrics when one of them is scraped (cluster-metrics.ts).
 *
 * A worker that exits before it listens failed at start (its own stderr says why: port taken,
 * database refused); after MAX_START_FAILURES such exits in a row the primary stops the others
 * and exits 1, so the supervisor above it sees the failure instead of a restart loop. A worker
 * that crashes while serving is started again after a pause that grows while crashes follow
 * one another, and shrinks back once a worker has run HEALTHY_AFTER_MS.
 */
export async function superviseWorkers(options: { count: number; drainMs: number; logger: Logger; io: CommandIo }): Promise<number> {
  const { count, logger, io } = options;
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  const startedAt = new Map<Worker, number>();
  let startFailures = 0;
  let crashesInARow = 0;
  let stopping = false;
  let exitCode = 0;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const restarts = new Set<NodeJS.Timeout>();

  function fork(): void {
    const worker = cluster.fork();
    live.add(worker);
    startedAt.set(worker, Date.now());
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  }

  function onListening(worker: Worker): void {
    listening.add(worker);
    startFailures = 0;
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker listening');
  }

  function onExit(worker: Worker, code: number | null, signal: string | null): void {
    live.delete(worker);
    const served = listening.delete(worker);
    const ranMs = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (live.size === 0) finish(exitCode);
      return;
    }
    if (!served) {
      startFailures++;
      logger.error({ worker: worker.id, code, signal, startFailures }, 'worker exited before it listened');
      if (startFailures >= MAX_START_FAILURES) {
        io.stderr.write(`gatehouse: ${startFailures} worker processes in a row exited before they listened (last: ${signal ?? `exit code ${code}`}); giving up\n`);
        logger.fatal({ startFailures }, 'workers keep failing at start; stopping');
        void stop(1);
        return;
      }
    } else {
      crashesInARow = ranMs >= HEALTHY_AFTER_MS ? 1 : crashesInARow + 1;
      logger.error({ worker: worker.id, code, signal, ranMs }, 'worker exited; starting another');
    }
    const delay = restartDelay(served ? crashesInARow : startFailures);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  }

  async function stop(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    restarts.forEach(clearTimeout);
    if (live.size === 0) return finish(exitCode);
    for (const worker of live) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of live) {
        logger.error({ worker: worker.id }, 'worker still running after the drain deadline; killing it');
        worker.process.kill('SIGKILL');
      }
    }, options.drainMs + STOP_MARGIN_MS).unref();
  }

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down: draining the workers');
    void stop(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Workers accept from the shared socket themselves. With Node's default round-robin the
  // primary accepts and hands each connection over, and one handed to a worker in the instant
  // it dies is never answered nor closed: the client hangs until its own timeout. This way the
  // kernel resets what the dead worker had accepted, and the others take the queue.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.on('listening', onListening);
  cluster.on('exit', onExit);
  const stopGathering = gatherWorkerMetrics({ workers: () => listening, logger });
  for (let i = 0; i < count; i++) fork();
  try {
    return await finished;
  } finally {
    stopGathering();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    cluster.off('listening', onListening);
    cluster.off('exit', onExit);
  }
}
