import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { onCore, type CorePlan } from './cores.js';
import { bundleForNode } from './gateway-child.js';
import { stopChild } from './servers.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * Scenario W: the gateway as `gatehouse serve` runs it with `server.workers: 2` — a primary
 * and two worker processes sharing one port — beside D's single process, in the same run and
 * on the same server core(s), so that their ratio says what the workers bring on this machine.
 * Built from server/main.ts like gateway-process.ts (bench/.build/, two levels below the
 * repository, so that the portal finds client/static).
 */
export async function buildServe(): Promise<string> {
  return bundleForNode(join(BENCH_DIR, '..', 'server', 'main.ts'), join(BENCH_DIR, '.build', 'main.mjs'));
}

export interface WorkersGateway {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** D's config with `server.workers: 2`, its own port and storage; resolves once both workers listen. */
export async function startWorkersGateway(plan: CorePlan, options: { bundle: string; dir: string; baseConfigFile: string; port: number }): Promise<WorkersGateway> {
  const config = parse(readFileSync(options.baseConfigFile, 'utf8')) as Record<string, any>;
  config.server = { ...config.server, port: options.port, workers: 2 };
  config.storage = { path: join(options.dir, 'workers.db'), encryption_keys: [{ id: 'bench', key: randomBytes(32).toString('base64') }] };
  const configFile = join(options.dir, 'gatehouse-workers.yml');
  writeFileSync(configFile, stringify(config));
  const logFile = join(options.dir, 'gateway-workers.log');
  const log = openSync(logFile, 'a');
  // Pinned like D: the workers inherit the primary's core.
  const [file, args] = onCore(plan, plan.serverCore, process.execPath, [options.bundle, 'serve', '--config', configFile]);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const deadline = Date.now() + 60_000;
  while ((readFileSync(logFile, 'utf8').match(/"msg":"worker listening"/g) ?? []).length < 2) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`gatehouse serve with workers: 2 did not start (log: ${logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, port: options.port, stop: () => stopChild(child) };
}
