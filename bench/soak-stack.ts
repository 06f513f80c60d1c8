import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { getFreePort } from '../server/testing/free-port.js';
import type { CorePlan } from './cores.js';
import { createSessions, writeGatewayConfig, writeUsersFile } from './fixtures.js';
import { startBenchRedis, startNginx, stopChild } from './servers.js';
import { buildServe } from './workers-gateway.js';

/** Nothing is pinned: the soak shares the machine, it does not measure a ceiling. */
const UNPINNED: CorePlan = { pinned: false, loadCore: 0, serverCore: 0 };

export interface SoakStack {
  /** The gateway's port (`gatehouse serve`, all its workers). */
  port: number;
  /** The `gatehouse serve` process: the primary when there are workers. */
  pid: number;
  workers: number;
  /** Cookie header values of signed-in sessions, and whose each is. */
  sessions: Array<{ cookie: string; username: 'alice' | 'bob' }>;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * An upstream that says who the gateway said the user is: nginx answering every path with the
 * Remote-User and Remote-Groups headers it received, so every proxied answer can be checked
 * for the right person, not just a 200.
 */
function echoIdentityConfig() {
  return (port: number) => `
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "user=$http_remote_user groups=$http_remote_groups uri=$request_uri\\n"; }
  }`;
}

/**
 * Redis, the identity-echoing upstream, and the gateway as `gatehouse serve` runs it (the
 * bench's config, `server.workers: workers`, SQLite storage, log to a file), with signed-in
 * sessions made through the product's session store.
 */
export async function startSoakStack(options: { workers: number; sessions: number; log: (line: string) => void }): Promise<SoakStack> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: unknown) => options.log(`stopping: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bundle = await buildServe();
    const redis = await startBenchRedis(UNPINNED);
    stops.push(() => redis.close());
    const upstream = await startNginx(UNPINNED, dir, 'upstream', echoIdentityConfig());
    stops.push(upstream.stop);

    const usersFile = join(dir, 'users.yml');
    const configFile = join(dir, 'gatehouse.yml');
    const port = await getFreePort();
    await writeUsersFile(usersFile);
    writeGatewayConfig(configFile, { port, redisUrl: redis.url, usersFile, upstreamPort: upstream.port });
    const config = parse(readFileSync(configFile, 'utf8')) as Record<string, any>;
    config.server = { ...config.server, workers: options.workers };
    config.storage = { path: join(dir, 'gatehouse.db'), encryption_keys: [{ id: 'soak', key: randomBytes(32).toString('base64') }] };
    writeFileSync(configFile, stringify(config));

    const logFile = join(dir, 'gateway.log');
    const log = openSync(logFile, 'a');
    const child: ChildProcess = spawn(process.execPath, [bundle, 'serve', '--config', configFile], { stdio: ['ignore', log, log] });
    closeSync(log);
    stops.push(() => stopChild(child));
    await waitForLog(child, logFile, options.workers > 1 ? /"msg":"worker listening"/g : /"msg":"gatehouse is listening"/g, options.workers);

    const cookieFile = join(dir, 'cookies.txt');
    await createSessions({ redisUrl: redis.url, count: options.sessions, cookieFile });
    // createSessions alternates alice and bob, in that order.
    const sessions = readFileSync(cookieFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((cookie, i) => ({ cookie, username: i % 2 === 0 ? ('alice' as const) : ('bob' as const) }));
    options.log(`gateway pid ${child.pid} (workers: ${options.workers}) on port ${port}; ${sessions.length} sessions`);
    return { port, pid: child.pid!, workers: options.workers, sessions, logFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForLog(child: ChildProcess, logFile: string, pattern: RegExp, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((readFileSync(logFile, 'utf8').match(pattern) ?? []).length < count) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      throw new Error(`gatehouse serve did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
