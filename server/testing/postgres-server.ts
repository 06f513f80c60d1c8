import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { getFreePort } from './free-port.js';

const START_TIMEOUT_MS = 30_000;

export interface TestPostgresServer {
  /** The server's maintenance database (`postgres`), as user `gatehouse`, no password (trust on loopback). */
  adminUrl: string;
  port: number;
  /** A fresh, empty database on this server; its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server, data kept (`resume` starts it again on the same port). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Debian puts each major version in its own folder; the newest installed wins. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/**
 * A throwaway PostgreSQL in a temporary folder on a free loopback port, one per test file.
 * initdb refuses to run as root, so as root the server runs as the `postgres` system user
 * (runuser); the folder is its. Durability is switched off (fsync, synchronous_commit): the
 * data dies with the test, and the tests assert behaviour, not speed.
 */
export async function startPostgresServer(): Promise<TestPostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no /usr/lib/postgresql/*/bin/initdb: integration tests need the Debian package postgresql (apt-get install postgresql)');
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'));
  const asRoot = process.getuid?.() === 0;
  const runAs = (command: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]) as [string, string[]];
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const init = spawnSync(...runAs(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'gatehouse', '--no-sync', '-E', 'UTF8', '--locale', 'C']), { encoding: 'utf8' });
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  let port = 0;
  const options = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = () => run(...runAs(join(bin, 'pg_ctl'), ['-D', data, '-o', options(), '-l', join(dir, 'log'), '-w', '-t', String(START_TIMEOUT_MS / 1000), 'start']));
  for (let attempt = 1; ; attempt++) {
    port = await getFreePort();
    const started = await start();
    if (started.code === 0) break;
    if (attempt >= 3) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start on port ${port}: ${started.output}`);
    }
  }
  const stopServer = () => spawnSync(...runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']));
  process.once('exit', stopServer);
  const adminUrl = `postgres://gatehouse@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    adminUrl,
    port,
    async createDatabase() {
      const name = `t${process.pid}_${n++}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://gatehouse@127.0.0.1:${port}/${name}`;
    },
    async pause() {
      // fast: connections are ended at once, as when the server or its host goes down.
      const stopped = await run(...runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']));
      if (stopped.code !== 0) throw new Error(`PostgreSQL did not stop: ${stopped.output}`);
    },
    async resume() {
      const started = await start();
      if (started.code !== 0) throw new Error(`PostgreSQL did not start again on port ${port}: ${started.output}`);
    },
    async stop() {
      process.off('exit', stopServer);
      await run(...runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', 'stop']));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.on('error', (error) => resolve({ code: -1, output: error.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}
