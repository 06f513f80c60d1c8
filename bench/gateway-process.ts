/**
 * The gateway under test, as its own Node process: what `gatehouse serve` does (config file,
 * JSON logs on stdout, createGateway, listen), plus an event-loop delay monitor that the bench
 * reads over the IPC channel. Run by bench/gateway-child.ts from a bundle of this file, never
 * inside the bench process, so that its RSS and its event loop are its own.
 *
 * argv: CONFIG_FILE [HASHER]. The environment is not read: UV_THREADPOOL_SIZE is set by the
 * parent to what server/main.ts sets. HASHER (bench/storm.ts compares them) is where argon2
 * runs: `workers` (the product: @node-rs/argon2 in worker threads at nice 10, the default),
 * `workers-nice0` (the same at normal priority), `node-rs` (@node-rs/argon2 on libuv's thread
 * pool) or `argon2` (the argon2 package on libuv's thread pool, the product before).
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseConfigText, type LoadResult } from '../server/config/load-config.js';
import { createLogger } from '../server/core/logger.js';
import { createHashWorkerPool } from '../server/directory/hash-workers.js';
import { hashConcurrencyOf } from '../server/directory/hash-queue.js';
import { DIRECT_HASHER, type PasswordHasher } from '../server/directory/password-hash.js';
import { createGateway } from '../server/gateway.js';
import { memoryBreakdown, type MemoryBreakdown } from './memory-probe.js';

/** `gc`: a full collection (the process runs with --expose-gc), then stats: what stays live. */
export type GatewayRequest = { type: 'stats' } | { type: 'gc' } | { type: 'reset' } | { type: 'stop' } | { type: 'breakdown'; gc: boolean };

export interface GatewayStats {
  rssBytes: number;
  /** Peak RSS since start (getrusage). */
  maxRssBytes: number;
  heapUsedBytes: number;
  /** Longest event-loop delay since the last reset, in ms. */
  eventLoopMaxMs: number;
  eventLoopP99Ms: number;
  /** Garbage collections since the last reset: how many, the longest pause and all pauses together, in ms. */
  gcCount: number;
  gcMaxMs: number;
  gcTotalMs: number;
}

export type GatewayMessage =
  | { type: 'ready'; port: number }
  | { type: 'stats'; stats: GatewayStats }
  | { type: 'breakdown'; breakdown: MemoryBreakdown }
  | { type: 'error'; message: string };

/** The `argon2` package, as the product hashed before @node-rs/argon2 in worker threads. */
async function argon2PackageHasher(): Promise<PasswordHasher> {
  const argon2 = await import('argon2');
  return {
    hash: (password, parameters) => argon2.hash(password, { type: argon2.argon2id, ...parameters }),
    verify: (hash, password) => argon2.verify(hash, password),
  };
}

async function hasherFor(name: string, concurrency: number | undefined): Promise<PasswordHasher | undefined> {
  if (name === 'workers') return undefined;
  if (name === 'workers-nice0') return createHashWorkerPool({ size: hashConcurrencyOf(concurrency), niceness: 0 });
  if (name === 'node-rs') return DIRECT_HASHER;
  if (name === 'argon2') return argon2PackageHasher();
  throw new Error(`unknown hasher ${name}`);
}

async function main(configPath: string, hasherName: string): Promise<void> {
  const send = (message: GatewayMessage) => process.send?.(message);
  const loaded = loadBenchConfig(configPath);
  if (!loaded.ok) {
    send({ type: 'error', message: loaded.errors.join('\n') });
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ level: loaded.config.log.level });
  const passwordHasher = await hasherFor(hasherName, loaded.config.authentication.password_checks.concurrency);
  const gateway = await createGateway(loaded.config, { logger, ...(passwordHasher ? { passwordHasher } : {}) });
  await gateway.ctx.sessions.whenSubscribed();
  const address = await gateway.listen();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Whether the long blocks are collections (the storm's hashes allocate 19–64 MiB each).
  const gc = { count: 0, maxMs: 0, totalMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (message: GatewayRequest) => {
    if (message.type === 'reset') {
      delay.reset();
      Object.assign(gc, { count: 0, maxMs: 0, totalMs: 0 });
    }
    if (message.type === 'gc' || (message.type === 'breakdown' && message.gc)) (globalThis as { gc?: () => void }).gc?.();
    if (message.type === 'breakdown') send({ type: 'breakdown', breakdown: memoryBreakdown() });
    if (message.type === 'stats' || message.type === 'gc') {
      send({
        type: 'stats',
        stats: {
          rssBytes: process.memoryUsage.rss(),
          maxRssBytes: process.resourceUsage().maxRSS * 1024,
          heapUsedBytes: process.memoryUsage().heapUsed,
          eventLoopMaxMs: delay.max / 1e6,
          eventLoopP99Ms: delay.percentile(99) / 1e6,
          gcCount: gc.count,
          gcMaxMs: gc.maxMs,
          gcTotalMs: gc.totalMs,
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

main(process.argv[2] ?? '', process.argv[3] ?? 'workers').catch((error: unknown) => {
  process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
