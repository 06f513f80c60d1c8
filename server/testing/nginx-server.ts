import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';

export const NGINX_PATH = '/usr/sbin/nginx';

export interface NginxServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Prefix directory: config, pid, logs and temp files all live here. */
  dir: string;
  /** The error log so far, to put into an assertion message when something looks wrong. */
  errorLog(): Promise<string>;
  /** Graceful stop (SIGQUIT), SIGKILL after a few seconds; removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/** What the test's `http {}` body is built from. */
export interface NginxContext {
  port: number;
  dir: string;
}

/**
 * Debian's nginx in the foreground on a free loopback port, with a config of the test's own.
 * `httpBody` returns what goes inside `http { }` (usually one `server { listen 127.0.0.1:<port>; … }`);
 * everything nginx would otherwise write under /var (pid, logs, every *_temp_path) goes to a
 * temp dir, so it runs unprivileged and leaves nothing behind.
 */
export async function startNginx(httpBody: (ctx: NginxContext) => string): Promise<NginxServer> {
  if (!existsSync(NGINX_PATH)) {
    throw new Error(`${NGINX_PATH} not found: these tests need the Debian package nginx (apt-get install nginx)`);
  }
  let lastError: unknown;
  // The free port can be taken between the probe and nginx's bind(); try again with another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-'));
    const port = await getFreePort();
    try {
      return await startIn(dir, port, httpBody({ port, dir }));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      lastError = error;
      if (!/Address already in use/.test(String(error))) break;
    }
  }
  throw lastError;
}

/**
 * `nginx -t` on the same main config startNginx would write around `httpBody`: whether nginx
 * accepts it, with its output (warnings included) either way.
 */
export async function checkNginxConfig(httpBody: (ctx: NginxContext) => string): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-t-'));
  try {
    const confPath = join(dir, 'nginx.conf');
    // A port nothing listens on: -t parses and checks, it binds nothing.
    await writeFile(confPath, mainConfig(dir, httpBody({ port: 9, dir })));
    return await new Promise((resolve) => {
      execFile(NGINX_PATH, ['-t', '-p', dir + '/', '-c', confPath, '-e', join(dir, 'error.log')], (error, stdout, stderr) =>
        resolve({ ok: error === null, output: `${stdout}${stderr}` }),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function startIn(dir: string, port: number, httpBody: string): Promise<NginxServer> {
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, mainConfig(dir, httpBody));
  const child = spawn(NGINX_PATH, ['-p', dir + '/', '-c', confPath, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (output += `spawn failed: ${error.message}\n`));
  // A test runner that dies mid-test must not leave nginx holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const errorLog = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', killOnExit);
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })());

  try {
    await waitUntilListening(child, port, 10_000);
  } catch (error) {
    const log = await errorLog();
    await stop();
    throw new Error(`nginx did not start: ${(error as Error).message}\n${output}\n${log}`.trim());
  }
  return { port, url: `http://127.0.0.1:${port}`, dir, errorLog, stop };
}

function mainConfig(dir: string, httpBody: string): string {
  // As root, nginx would hand its workers to "nobody", who cannot write to our 0700 temp dir.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  return `${user}daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body_temp;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
${httpBody}
}
`;
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
