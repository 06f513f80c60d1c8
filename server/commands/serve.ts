import type { AddressInfo } from 'node:net';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway.js';
import type { CommandIo } from './check-config.js';

/**
 * Runs the gateway until SIGTERM/SIGINT, then drains and exits. A start that fails (config,
 * users file, database, port) returns 1 with the reason, having closed whatever it had opened.
 */
export async function runServe(path: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const result = loadConfigFile(path, env);
  if (!result.ok) {
    io.stderr.write(`${path}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    for (const error of result.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const config = result.config;
  const logger = createLogger({ level: config.log.level });
  let gateway: Gateway;
  try {
    gateway = await createGateway(config, { logger });
  } catch (error) {
    return startFailed(io, logger, error);
  }
  let address: AddressInfo;
  try {
    address = await gateway.listen();
  } catch (error) {
    // Port in use, or not ours to bind: exit so a supervisor sees it, instead of idling unbound.
    await gateway.close();
    return startFailed(io, logger, error);
  }
  logger.info({ address: `${address.address}:${address.port}`, portal: config.server.portal_url.href, sites: config.sites.length }, 'gatehouse is listening');
  await waitForSignal();
  logger.info('shutting down');
  await gateway.close();
  return 0;
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

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
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
