import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freezeProcess } from './freeze-process.js';
import { getFreePort } from './free-port.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const READY = 'Ready to accept connections';
const START_TIMEOUT_MS = 30_000;

export interface TestRedisServer {
  url: string;
  port: number;
  /** Stops the server and removes its directory; `restart` may still bring it back, empty. */
  stop(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing, like a hung or overloaded one. */
  freeze(): void;
  thaw(): void;
  /** Stops and starts again on the same port, empty (nothing is persisted); `downMs` keeps it stopped a while. */
  restart(options?: { downMs?: number }): Promise<void>;
}

/** A throwaway redis-server on a free loopback port, for integration tests. */
export async function startRedisServer(): Promise<TestRedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: integration tests need the Debian package redis-server (apt-get install redis-server)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await getFreePort();
    try {
      child = await spawnRedis(port, dir);
    } catch (error) {
      // Another process may have taken the port between probing and binding.
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let frozen = false;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function halt(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    // A stopped process does not act on SIGTERM until it runs again.
    if (frozen) running.kill('SIGCONT');
    frozen = false;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await halt();
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
    freeze() {
      if (child && !frozen) freezeProcess(child);
      frozen = true;
    },
    thaw() {
      if (child && frozen) child.kill('SIGCONT');
      frozen = false;
    },
    async restart(options = {}) {
      await halt();
      if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
      await mkdir(dir, { recursive: true });
      process.off('exit', killOnExit);
      process.once('exit', killOnExit);
      child = await spawnRedis(port, dir);
    },
  };
}

function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  return spawnRedisProcess(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], port);
}

/**
 * redis-server with `args`, resolved once it prints `ready` (a data node's "Ready to accept
 * connections"; a sentinel's "+monitor master"), rejected if it exits first or stays silent.
 */
export function spawnRedisProcess(args: string[], port: number, ready = READY): Promise<ChildProcess> {
  if (!existsSync(REDIS_SERVER)) {
    return Promise.reject(new Error(`${REDIS_SERVER} not found: integration tests need the Debian package redis-server (apt-get install redis-server)`));
  }
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} ${message}\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // Keep draining the pipes so a chatty server never blocks on a full one.
      child.stdout?.off('data', onData).resume();
      child.stderr?.off('data', onData).resume();
      resolve(child);
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited before it was ready (code ${code}, signal ${signal})`);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
  });
}
