import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';

export const CADDY_PATH = '/usr/bin/caddy';

export interface CaddyServer {
  port: number;
  /** Config, data and Caddy's own state all live here. */
  dir: string;
  /** What Caddy logged so far (JSON lines), to put into an assertion message. */
  log(): string;
  /** Graceful stop (SIGTERM), SIGKILL after a few seconds; removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/** What the test's site blocks are built from. */
export interface CaddyContext {
  port: number;
  dir: string;
}

/**
 * Debian's Caddy in the foreground on a free loopback port, with a Caddyfile of the test's own.
 * `sites` returns the site blocks; this puts the global options in front: no automatic HTTPS,
 * no admin endpoint, every listener on 127.0.0.1 only. HOME and the XDG folders point into a
 * temp dir, so Caddy's autosave and certificate storage leave nothing behind.
 */
export async function startCaddy(sites: (ctx: CaddyContext) => string): Promise<CaddyServer> {
  if (!existsSync(CADDY_PATH)) {
    throw new Error(`${CADDY_PATH} not found: these tests need the Debian package caddy (apt-get install caddy)`);
  }
  let lastError: unknown;
  // The free port can be taken between the probe and Caddy's bind(); try again with another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-caddy-'));
    const port = await getFreePort();
    try {
      return await startIn(dir, port, sites({ port, dir }));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      lastError = error;
      if (!/address already in use/i.test(String(error))) break;
    }
  }
  throw lastError;
}

async function startIn(dir: string, port: number, sites: string): Promise<CaddyServer> {
  const configPath = join(dir, 'Caddyfile');
  await writeFile(configPath, `{\n\tauto_https off\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n${sites}\n`);
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const child = spawn(CADDY_PATH, ['run', '--config', configPath, '--adapter', 'caddyfile'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (output += `spawn failed: ${error.message}\n`));
  // A test runner that dies mid-test must not leave Caddy holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', killOnExit);
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })());

  try {
    await waitUntilListening(child, port, 15_000);
  } catch (error) {
    await stop();
    throw new Error(`caddy did not start: ${(error as Error).message}\n${output}`.trim());
  }
  return { port, dir, log: () => output, stop };
}

async function waitUntilListening(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode ?? 'no process'}`);
    }
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`not listening on port ${port} after ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
