import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheckConfig } from '../commands/check-config.js';
import { decodeKey } from '../config/schema.js';
import { captureIo } from '../testing/capture-io.js';
import { getFreePort } from '../testing/free-port.js';
import { spawnRedisProcess, startRedisServer } from '../testing/redis-server.js';

/**
 * docker-compose.yml without a Docker engine: what can be checked is checked with the real
 * tools. The YAML parses (merge keys as Compose reads them); every file it mounts exists in the
 * repository; no secret is committed and the secrets-init script makes them, once; the Gatehouse
 * config it mounts passes check-config with those secrets; the Caddyfile passes `caddy validate`;
 * the sentinel config the sentinel script writes is accepted by a real redis-server --sentinel.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);

type Service = {
  image?: string;
  build?: string;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  networks?: string[] | Record<string, { ipv4_address?: string }>;
  entrypoint?: string[];
  environment?: Record<string, string>;
};
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown>; secrets?: unknown };
const config = parse(read('deploy/gatehouse.yml')) as { server: { trusted_proxies: string[]; drain_timeout: string; port: number }; redis: { sentinel: { nodes: string[] } } };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-compose-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docker-compose.yml: the shape', () => {
  it('has two Gatehouse instances, a load balancer, Redis with a replica and three sentinels, PostgreSQL, the app and the secrets-init service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['app', 'gatehouse-1', 'gatehouse-2', 'postgres', 'proxy', 'redis-1', 'redis-2', 'secrets-init', 'sentinel-1', 'sentinel-2', 'sentinel-3'].sort(),
    );
  });

  it('mounts only files that exist in the repository', () => {
    const sources = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((source) => source.startsWith('./'));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      const path = source.slice(2);
      expect(existsSync(join(root, path)), source).toBe(true);
      expect(
        tracked.some((file) => file === path || file.startsWith(`${path}/`)),
        `${source} is in git`,
      ).toBe(true);
    }
    // Named volumes are declared.
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((s) => !s.startsWith('.') && !s.startsWith('/'));
    for (const volume of named) expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it('commits no secret: none under deploy/, none as a file-backed Compose secret', () => {
    expect(compose.secrets).toBeUndefined();
    expect(tracked.filter((f) => /(password|secret|key)[^/]*\.(txt|pem|key)$/i.test(f))).toEqual([]);
    expect(tracked).not.toContain('deploy/storage-key.txt');
    expect(tracked).not.toContain('deploy/redis-password.txt');
  });

  it('both instances read the config and the generated secrets read-only, after secrets-init has run, and get longer than the drain to stop', () => {
    for (const name of ['gatehouse-1', 'gatehouse-2']) {
      const s = compose.services[name]!;
      expect(s.volumes).toEqual(['./deploy:/config:ro', 'secrets:/run/secrets:ro']);
      expect(s.depends_on?.['secrets-init']).toEqual({ condition: 'service_completed_successfully' });
      expect(s.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
      expect(s.ports).toBeUndefined();
      expect(parseSeconds(s.stop_grace_period!)).toBeGreaterThan(parseSeconds(config.server.drain_timeout));
    }
  });

  it('publishes only the load balancer, whose fixed address is the one trusted proxy of the config', () => {
    const published = Object.entries(compose.services)
      .filter(([, s]) => s.ports)
      .map(([name]) => name);
    expect(published).toEqual(['proxy']);
    const address = (compose.services.proxy!.networks as Record<string, { ipv4_address?: string }>).gatehouse!.ipv4_address;
    expect(config.server.trusted_proxies).toEqual([`${address}/32`]);
  });

  it('the Caddyfile balances over exactly the two instances, on the port their config listens on', () => {
    const upstreams = /reverse_proxy\s+([^{]+)\{/.exec(read('deploy/compose/Caddyfile'))![1]!.trim().split(/\s+/);
    expect(upstreams).toEqual([`gatehouse-1:${config.server.port}`, `gatehouse-2:${config.server.port}`]);
  });

  it('the sentinels the config names are the sentinel services', () => {
    expect(config.redis.sentinel.nodes).toEqual(['sentinel-1:26379', 'sentinel-2:26379', 'sentinel-3:26379']);
    expect(compose.services['redis-2']!.environment).toEqual({ REPLICA_OF: 'redis-1' });
  });
});

describe('docker-compose.yml: checked with the real tools', () => {
  const secrets = () => join(dir, 'secrets');
  const initSecrets = () => spawnSync(process.execPath, [join(root, 'deploy/compose/init-secrets.mjs'), secrets()], { encoding: 'utf8' });

  it('secrets-init makes every secret once, unreadable to nobody it serves, and keeps them on the next start', () => {
    const first = initSecrets();
    expect(first.status).toBe(0);
    const names = ['postgres_password', 'redis_password', 'sentinel_password', 'storage_key'];
    const made = Object.fromEntries(names.map((n) => [n, readFileSync(join(secrets(), n), 'utf8')]));
    expect(decodeKey(made.storage_key!)).toHaveLength(32);
    for (const n of ['postgres_password', 'redis_password', 'sentinel_password']) expect(made[n]).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect(new Set(Object.values(made)).size).toBe(4);
    for (const n of names) expect(statSync(join(secrets(), n)).mode & 0o777).toBe(0o444);

    const second = initSecrets();
    expect(second.status).toBe(0);
    expect(second.stdout).not.toMatch(/created/);
    for (const n of names) expect(readFileSync(join(secrets(), n), 'utf8')).toBe(made[n]);
  });

  it('the Gatehouse config it mounts passes check-config with those secrets', async () => {
    if (!existsSync(join(secrets(), 'storage_key'))) expect(initSecrets().status).toBe(0);
    const path = join(dir, 'gatehouse.yml');
    writeFileSync(
      path,
      read('deploy/gatehouse.yml')
        .replaceAll('/run/secrets/', `${secrets()}/`)
        .replace('users_file: users.yml', `users_file: ${join(root, 'deploy/users.yml')}`),
    );
    const { io, out, err } = captureIo();
    expect([await runCheckConfig(path, {}, io), err()]).toEqual([0, '']);
    expect(out()).toContain('redis: master "gatehouse" of sentinels sentinel-1:26379, sentinel-2:26379, sentinel-3:26379');
  });

  it('the Caddyfile passes caddy validate', () => {
    const result = spawnSync('caddy', ['validate', '--config', join(root, 'deploy/compose/Caddyfile'), '--adapter', 'caddyfile'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Valid configuration/);
  });

  it('the data node script starts redis-server with the password, append-only files, noeviction, and the replica with its master', () => {
    const args = (env: Record<string, string>) => runWithStubEntrypoint('deploy/compose/redis.sh', env).trim().split('\n');
    const password = readFileSync(join(secrets(), 'redis_password'), 'utf8').trim();
    const master = args({});
    expect(master).toEqual([
      'redis-server',
      '--port',
      '6379',
      '--requirepass',
      password,
      '--masterauth',
      password,
      '--appendonly',
      'yes',
      '--dir',
      '/data',
      '--maxmemory-policy',
      'noeviction',
    ]);
    expect(args({ REPLICA_OF: 'redis-1' }).slice(-3)).toEqual(['--replicaof', 'redis-1', '6379']);
  });

  it('the sentinel script writes a config a real redis-server --sentinel runs with, and asks for the sentinel password', async () => {
    const redisPassword = readFileSync(join(secrets(), 'redis_password'), 'utf8').trim();
    const sentinelPassword = readFileSync(join(secrets(), 'sentinel_password'), 'utf8').trim();
    const here = join(dir, 'sentinel');
    runWithStubEntrypoint('deploy/compose/sentinel.sh', { SENTINEL_DIR: here, MASTER_HOST: '127.0.0.1' });
    // Local ports instead of the containers' fixed ones; everything else as written.
    const master = await startRedisServer();
    const port = await getFreePort();
    const conf = readFileSync(join(here, 'sentinel.conf'), 'utf8').replace('port 26379', `port ${port}`).replace('127.0.0.1 6379 2', `127.0.0.1 ${master.port} 2`);
    expect(conf).toContain(`sentinel auth-pass gatehouse ${redisPassword}`);
    writeFileSync(join(here, 'sentinel.conf'), conf);
    const sentinel = await spawnRedisProcess([join(here, 'sentinel.conf'), '--sentinel'], port, '+monitor master');
    try {
      const ask = async (password?: string) => {
        const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, password });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return await client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'gatehouse']);
        } catch (error) {
          return (error as Error).message;
        } finally {
          client.destroy();
        }
      };
      expect(await ask(sentinelPassword)).toEqual(['127.0.0.1', String(master.port)]);
      expect(String(await ask())).toMatch(/NOAUTH/);
    } finally {
      sentinel.kill('SIGTERM');
      await master.stop();
    }
  });

  /** Runs a compose script with the secrets made above, `docker-entrypoint.sh` replaced by one printing its arguments. */
  function runWithStubEntrypoint(script: string, env: Record<string, string>): string {
    if (!existsSync(join(secrets(), 'redis_password'))) expect(initSecrets().status).toBe(0);
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n');
    chmodSync(join(bin, 'docker-entrypoint.sh'), 0o755);
    const result = spawnSync('sh', [join(root, script)], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, SECRETS_DIR: secrets(), ...env } });
    if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
    return result.stdout;
  }
});

function parseSeconds(value: string): number {
  const match = /^(\d+)s$/.exec(value);
  if (!match) throw new Error(`not a duration in seconds: ${value}`);
  return Number(match[1]);
}
