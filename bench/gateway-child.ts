import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { onCore, type CorePlan } from './cores.js';
import type { GatewayMessage, GatewayRequest, GatewayStats } from './gateway-process.js';
import type { MemoryBreakdown } from './memory-probe.js';
import { stopChild } from './servers.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * bench/.build/gateway-process.mjs of the checkout at `root` (default: this one): two levels
 * below the repository like dist/server/*.js, so the portal finds client/static. One
 * JavaScript file from the TypeScript sources (esbuild, which tsx already brings), with
 * npm packages left as imports: the gateway runs on plain `node`, without a loader thread
 * adding to its memory.
 */
export async function buildGateway(root?: string): Promise<string> {
  const benchDir = root === undefined ? BENCH_DIR : join(root, 'bench');
  return bundleForNode(join(benchDir, 'gateway-process.ts'), join(benchDir, '.build', 'gateway-process.mjs'));
}

/**
 * An ESM entry file for plain `node` from a TypeScript entry point, npm packages left as
 * imports. Split into chunks beside it: what the product imports only when configured or first
 * used (`await import(…)`: PostgreSQL, LDAP, mail, QR codes…) stays out of the gateway's memory
 * here too, as it does in dist/ — one file would load every package it names at start.
 */
export async function bundleForNode(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: { [basename(outfile, '.mjs')]: entry },
    outdir: dirname(outfile),
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

export interface GatewayChild {
  pid: number;
  port: number;
  stats(): Promise<GatewayStats>;
  /** A full GC in the gateway, then its stats: memory that is actually retained. */
  collectGarbage(): Promise<GatewayStats>;
  /** Where the gateway's resident memory is (bench/memory-probe.ts), after a full GC with `gc`. */
  breakdown(gc: boolean): Promise<MemoryBreakdown>;
  /** Starts a new window for the event-loop delay maximum. */
  resetEventLoop(): void;
  /** Current and peak RSS from /proc; resetPeak starts a new peak window. */
  memory(): { rssBytes: number; peakBytes: number };
  resetPeak(): void;
  stop(): Promise<void>;
}

/** Starts the bundled gateway on the server core, with the thread pool size main.ts sets. */
export async function startGateway(
  plan: CorePlan,
  options: { bundle: string; configFile: string; logFile: string; nodeArgs?: string[]; threadPoolSize?: number; hasher?: string },
): Promise<GatewayChild> {
  const log = openSync(options.logFile, 'a');
  const [file, args] = onCore(plan, plan.serverCore, '/usr/bin/env', [
    `UV_THREADPOOL_SIZE=${options.threadPoolSize ?? 8}`,
    process.execPath,
    '--expose-gc',
    ...(options.nodeArgs ?? []),
    options.bundle,
    options.configFile,
    ...(options.hasher ? [options.hasher] : []),
  ]);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', log, log, 'ipc'] });
  closeSync(log);
  const pid = child.pid!;
  const first = await nextMessage(child, 60_000);
  if (first.type !== 'ready') {
    await stopChild(child);
    throw new Error(`the gateway did not start: ${first.type === 'error' ? first.message : first.type}\n(log: ${options.logFile})`);
  }
  const send = (message: GatewayRequest) => child.send(message);
  const ask = async (type: 'stats' | 'gc') => {
    const reply = nextMessage(child, 10_000);
    send({ type });
    const message = await reply;
    if (message.type !== 'stats') throw new Error(`unexpected message from the gateway: ${message.type}`);
    return message.stats;
  };
  const proc = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

  return {
    pid,
    port: first.port,
    stats: () => ask('stats'),
    collectGarbage: () => ask('gc'),
    async breakdown(gc) {
      const reply = nextMessage(child, 10_000);
      send({ type: 'breakdown', gc });
      const message = await reply;
      if (message.type !== 'breakdown') throw new Error(`unexpected message from the gateway: ${message.type}`);
      return message.breakdown;
    },
    resetEventLoop: () => send({ type: 'reset' }),
    memory: () => ({ rssBytes: proc('VmRSS'), peakBytes: proc('VmHWM') }),
    resetPeak() {
      // "5" resets the peak RSS (VmHWM) to the current RSS (proc(5), clear_refs).
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // Not ours to reset (another user's process): the peak then counts from start.
      }
    },
    async stop() {
      if (child.connected) send({ type: 'stop' });
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 5000))]);
      await stopChild(child);
    },
  };
}

function nextMessage(child: ChildProcess, timeoutMs: number): Promise<GatewayMessage> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: GatewayMessage) => {
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`the gateway exited (${code ?? signal})`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer from the gateway within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
