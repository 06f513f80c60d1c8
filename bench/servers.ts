import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { getFreePort } from '../server/testing/free-port.js';
import { startRedisServer, type TestRedisServer } from '../server/testing/redis-server.js';
import { onCore, pinProcess, type CorePlan } from './cores.js';

export interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Stops a child: `signal`, then SIGKILL if it lingers. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(socket.destroy() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} is not listening on ${port} after ${timeoutMs} ms`);
}

/**
 * Debian's nginx in the foreground, one worker, on the server core, with a config of ours
 * (`server` is the body of one server block, given its port). No access log: the gateway
 * writes none per request either.
 */
export async function startNginx(plan: CorePlan, dir: string, name: string, http: (port: number) => string): Promise<Running> {
  const prefix = join(dir, `nginx-${name}`);
  mkdirSync(prefix, { recursive: true });
  const port = await getFreePort();
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `${user}daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body_temp;
  proxy_temp_path ${prefix}/proxy_temp;
  fastcgi_temp_path ${prefix}/fastcgi_temp;
  uwsgi_temp_path ${prefix}/uwsgi_temp;
  scgi_temp_path ${prefix}/scgi_temp;
  keepalive_requests 1000000;
${http(port)}
}
`,
  );
  const [file, args] = onCore(plan, plan.serverCore, '/usr/sbin/nginx', ['-p', prefix + '/', '-c', conf, '-e', join(prefix, 'error.log')]);
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  try {
    await waitForPort(port, child, `nginx (${name})`);
  } catch (error) {
    const log = readFileSafe(join(prefix, 'error.log'));
    throw new Error(`${(error as Error).message}\n${errors}${log}`.trim());
  }
  child.stderr?.resume();
  return { port, pid: child.pid!, stop: () => stopChild(child, 'SIGQUIT') };
}

/** Bare node:http hello world (scenario C): the ceiling for any Node server on one core. */
export async function startHelloWorld(plan: CorePlan): Promise<Running> {
  const port = await getFreePort();
  const code = `require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello world'); }).listen(${port}, '127.0.0.1');`;
  const [file, args] = onCore(plan, plan.serverCore, process.execPath, ['-e', code]);
  const child = spawn(file, args, { stdio: 'ignore' });
  await waitForPort(port, child, 'hello world');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

/** Scenario H: a bare node:http + undici proxy in front of the upstream (bench/bare-proxy.mjs). */
export async function startBareProxy(plan: CorePlan, upstreamPort: number): Promise<Running> {
  const port = await getFreePort();
  const script = fileURLToPath(new URL('bare-proxy.mjs', import.meta.url));
  const [file, args] = onCore(plan, plan.serverCore, process.execPath, [script, String(port), String(upstreamPort)]);
  const child = spawn(file, args, { stdio: 'ignore' });
  await waitForPort(port, child, 'bare proxy');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

export interface BenchRedis {
  url: string;
  pid: number;
  server: TestRedisServer;
  /** Total calls per command since start (INFO commandstats). */
  commandCounts(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** The test suite's throwaway redis-server, moved to the server core. */
export async function startBenchRedis(plan: CorePlan): Promise<BenchRedis> {
  const server = await startRedisServer();
  const client = createClient({ url: server.url });
  client.on('error', () => undefined);
  await client.connect();
  const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  if (pid > 0) pinProcess(plan, pid, plan.serverCore);
  return {
    url: server.url,
    pid,
    server,
    async commandCounts() {
      const counts = new Map<string, number>();
      for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts.set(match[1]!, Number(match[2]));
      return counts;
    },
    async close() {
      await client.quit().catch(() => undefined);
      await server.stop();
    },
  };
}

/** Commands the gateway sent between two snapshots: the bench's own INFO calls are left out. */
export function commandsBetween(before: Map<string, number>, after: Map<string, number>): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of after) {
    // INFO is the bench's own; PING is node-redis's idle health check, by the clock, not by request.
    if (name === 'info' || name === 'ping') continue;
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0) {
      byCommand[name] = delta;
      total += delta;
    }
  }
  return { total, byCommand };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
