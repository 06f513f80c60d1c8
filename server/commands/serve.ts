import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway.js';
import type { CommandIo } from './check-config.js';
import { answerPrimaryWithMetrics, askPrimaryForMetrics } from './cluster-metrics.js';
import { superviseWorkers } from './supervise-workers.js';

/**
 * Runs the gateway until SIGTERM/SIGINT, then drains and exits; with `server.workers` above 1
 * this process becomes the primary that runs them (a worker runs this same command). A start
 * that fails (config, users file, database, port) returns 1 with the reason, having closed
 * whatever it had opened.
 */
export async function runServe(path: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const result = loadConfigFile(path, env);
  if (!result.ok) {
    io.stderr.write(`${path}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    for (const error of result.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const config = result.config;
  const workers = workerCount(config.server.workers);
  const drainMs = config.server.drain_timeout * 1000;
  const root = createLogger({ level: config.log.level });
  if (workers > 1 && cluster.isPrimary) {
    root.info({ workers }, 'starting worker processes');
    return superviseWorkers({ count: workers, drainMs, logger: root.child({ role: 'primary' }), io });
  }
  if (!cluster.isWorker) return serveHere(config, root, io, drainMs);
  try {
    return await serveHere(config, root.child({ worker: cluster.worker?.id, pid: process.pid }), io, drainMs);
  } finally {
    // The channel to the primary would keep this process alive once everything else is closed.
    cluster.worker?.disconnect();
  }
}

/** One gateway in this process, until a signal; then drained and closed. */
async function serveHere(config: Config, logger: Logger, io: CommandIo, drainMs: number): Promise<number> {
  let gateway: Gateway;
  try {
    // A worker's /metrics answers for all workers: the primary merges their registries.
    gateway = await createGateway(config, { logger, ...(cluster.isWorker ? { scrapeMetrics: askPrimaryForMetrics() } : {}) });
  } catch (error) {
    return startFailed(io, logger, error);
  }
  // Before listen: the primary asks only listening workers, and each must be able to answer.
  const stopAnswering = cluster.isWorker ? answerPrimaryWithMetrics(gateway.ctx.metrics.registry) : () => undefined;
  let address: AddressInfo;
  try {
    address = await gateway.listen();
  } catch (error) {
    // Port in use, or not ours to bind: exit so a supervisor sees it, instead of idling unbound.
    stopAnswering();
    await gateway.close();
    return startFailed(io, logger, error);
  }
  logger.info({ address: `${address.address}:${address.port}`, portal: config.server.portal_url.href, sites: config.sites.length }, 'gatehouse is listening');
  await waitForSignal();
  logger.info('shutting down');
  await gateway.close({ drainMs });
  stopAnswering();
  return 0;
}

/** `server.workers` as a number: `auto` is one per core the process may use. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * Reported on stderr for whoever started the process, and in the JSON log with its stack. The
 * caller has already closed what the start opened, so the process ends by itself.
 */
function startFailed(io: CommandIo, logger: Logger, error: unknown): number {
  logger.fatal({ err: error }, 'gatehouse could not start');
  io.stderr.write(`gatehouse: cannot start: ${describeStartError(error)}\n`);
  return 1;
}

/** The message and the causes behind it ("database: SQLITE_NOTADB: file is not a database"). */
function describeStartError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}

/**
 * SIGTERM or SIGINT; in a cluster worker also the primary going away (its channel closes): a
 * worker left behind could no longer be reached by the primary's signals.
 */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (cluster.isWorker) process.on('disconnect', stop);
  });
}

/** Aborted at the first of `signals` (then it stops listening): how a long-running command learns to stop. */
export function stopSignal(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    for (const signal of signals) process.off(signal, stop);
    controller.abort();
  };
  for (const signal of signals) process.on(signal, stop);
  return controller.signal;
}
