/**
 * The gateway under test, as its own Node process: what `gatehouse serve` does (config file,
 * JSON logs on stdout, createGateway, listen), plus an event-loop delay monitor that the bench
 * reads over the IPC channel. Run by bench/gateway-child.ts from a bundle of this file, never
 * inside the bench process, so that its RSS and its event loop are its own.
 *
 * argv: CONFIG_FILE. The environment is not read: UV_THREADPOOL_SIZE is set by the parent to
 * what server/main.ts sets.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseConfigText, type LoadResult } from '../server/config/load-config.js';
import { createLogger } from '../server/core/logger.js';
import { createGateway } from '../server/gateway.js';

/** `gc`: a full collection (the process runs with --expose-gc), then stats: what stays live. */
export type GatewayRequest = { type: 'stats' } | { type: 'gc' } | { type: 'reset' } | { type: 'stop' };

export interface GatewayStats {
  rssBytes: number;
  /** Peak RSS since start (getrusage). */
  maxRssBytes: number;
  heapUsedBytes: number;
  /** Longest event-loop delay since the last reset, in ms. */
  eventLoopMaxMs: number;
  eventLoopP99Ms: number;
}

export type GatewayMessage = { type: 'ready'; port: number } | { type: 'stats'; stats: GatewayStats } | { type: 'error'; message: string };

async function main(configPath: string): Promise<void> {
  const send = (message: GatewayMessage) => process.send?.(message);
  const loaded = loadBenchConfig(configPath);
  if (!loaded.ok) {
    send({ type: 'error', message: loaded.errors.join('\n') });
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ level: loaded.config.log.level });
  const gateway = await createGateway(loaded.config, { logger });
  await gateway.ctx.sessions.whenSubscribed();
  const address = await gateway.listen();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();

  process.on('message', (message: GatewayRequest) => {
    if (message.type === 'reset') delay.reset();
    if (message.type === 'gc') (globalThis as { gc?: () => void }).gc?.();
    if (message.type === 'stats' || message.type === 'gc') {
      send({
        type: 'stats',
        stats: {
          rssBytes: process.memoryUsage.rss(),
          maxRssBytes: process.resourceUsage().maxRSS * 1024,
          heapUsedBytes: process.memoryUsage().heapUsed,
          eventLoopMaxMs: delay.max / 1e6,
          eventLoopP99Ms: delay.percentile(99) / 1e6,
        },
      });
    }
    if (message.type === 'stop') {
      delay.disable();
      // exit, not a drained loop: --cpu-prof writes its profile on exit.
      void gateway.close().finally(() => process.exit(0));
    }
  });
  // The bench going away (crash, Ctrl-C) takes the gateway with it.
  process.on('disconnect', () => void gateway.close().finally(() => process.exit(0)));
  send({ type: 'ready', port: address.port });
}

/**
 * The bench's config as this checkout's schema takes it. Durable storage (with its encryption
 * key) is new in the schema: a checkout that needs the section gets one in the run's
 * directory, one that does not know it is given the config without it (bench/compare.ts runs
 * commits from both sides of that change).
 */
function loadBenchConfig(path: string): LoadResult {
  const text = readFileSync(path, 'utf8');
  const baseDir = dirname(resolve(path));
  const plain = parseConfigText(text, { env: {}, baseDir });
  if (plain.ok) return plain;
  const storage = `\nstorage:\n  path: ${JSON.stringify(join(baseDir, 'gatehouse.db'))}\n  encryption_keys:\n    - id: bench\n      key: ${randomBytes(32).toString('base64')}\n`;
  const withStorage = parseConfigText(text + storage, { env: {}, baseDir });
  return withStorage.ok ? withStorage : plain;
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
