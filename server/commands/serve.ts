import { loadConfigFile } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { createGateway } from '../gateway.js';
import type { CommandIo } from './check-config.js';

/** Runs the gateway until SIGTERM/SIGINT, then drains and exits. */
export async function runServe(path: string, env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const result = loadConfigFile(path, env);
  if (!result.ok) {
    io.stderr.write(`${path}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    for (const error of result.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const config = result.config;
  const logger = createLogger({ level: config.log.level });
  const gateway = await createGateway(config, { logger });
  const address = await gateway.listen();
  logger.info({ address: `${address.address}:${address.port}`, portal: config.server.portal_url.href, sites: config.sites.length }, 'gatehouse is listening');
  await waitForSignal();
  logger.info('shutting down');
  await gateway.close();
  return 0;
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
