import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { createSilentLogger } from '../core/logger.js';
import { getFreePort } from '../testing/free-port.js';
import { startSentinelSet, type TestSentinelSet } from '../testing/redis-sentinel.js';
import { spawnRedisProcess } from '../testing/redis-server.js';
import { makeTestCertificates, type TestCertificates } from '../testing/test-certificates.js';
import type { Kv } from './kv.js';
import { createRedisKv, type RedisKvOptions } from './redis-kv.js';
import type { RedisTlsOptions } from './redis-tls.js';

/**
 * `redis.tls` against real servers that speak TLS only and ask for a client certificate
 * (Redis's `tls-auth-clients yes`): one node reached by a `rediss://` url, and a Sentinel set in
 * which the sentinels, the data nodes and the replication between them all use TLS. The
 * certificates name `redis.test` only, never 127.0.0.1, so a client that checked the address
 * instead of `server_name` would fail; a CA that signed nothing here must be refused.
 */
const TIMEOUT_S = 3;
let dir: string;
let certs: TestCertificates;
let single: ChildProcess | undefined;
let singlePort: number;
let sentinels: TestSentinelSet;
const opened: Kv[] = [];

/** Retries `check` every 50 ms until it passes, or throws its last error after `tries`. */
async function eventually(check: () => unknown, tries = 200): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return void (await check());
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const pem = (file: string) => readFileSync(file, 'utf8');
const goodTls = (): RedisTlsOptions => ({ ca: pem(certs.caFile), cert: pem(certs.clientCertFile), key: pem(certs.clientKeyFile), serverName: certs.serverName });

function openKv(options: Partial<RedisKvOptions>): Kv & { connect(): Promise<void> } {
  const kv = createRedisKv(
    { logger: createSilentLogger() },
    { url: `rediss://127.0.0.1:${singlePort}`, database: 0, timeoutSeconds: TIMEOUT_S, keyPrefix: 'tls-test:', ...options },
  );
  opened.push(kv);
  return kv;
}

const viaSentinels = (tls: RedisTlsOptions) => ({ url: 'redis://ignored.invalid:1', sentinel: { masterName: sentinels.masterName, nodes: sentinels.sentinels }, tls });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-tls-'));
  certs = makeTestCertificates(dir, 'redis.test');
  singlePort = await getFreePort();
  single = await spawnRedisProcess(
    [
      '--port',
      '0',
      '--tls-port',
      String(singlePort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--tls-cert-file',
      certs.certFile,
      '--tls-key-file',
      certs.keyFile,
      '--tls-ca-cert-file',
      certs.caFile,
      '--tls-auth-clients',
      'yes',
    ],
    singlePort,
  );
  sentinels = await startSentinelSet({ tls: certs });
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((kv) => kv.close()));
});

afterAll(async () => {
  single?.kill('SIGKILL');
  await sentinels?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('redis.tls with a rediss:// url', () => {
  it('connects with the CA, a client certificate and the server name, and works', async () => {
    const kv = openKv({ tls: goodTls() });
    await kv.connect();
    await kv.set('k', 'v', 60);
    expect(await kv.get('k')).toBe('v');
    expect(await kv.take('k')).toBe('v');
  });

  it.each([
    ['a CA that did not sign the server certificate', () => ({ ...goodTls(), ca: pem(certs.otherCaFile) })],
    ['no server name: the certificate does not name 127.0.0.1', () => ({ ...goodTls(), serverName: undefined })],
    ['another server name than the certificate’s', () => ({ ...goodTls(), serverName: 'other.test' })],
    ['no client certificate, which the server requires', () => ({ ca: pem(certs.caFile), serverName: certs.serverName })],
    ['no CA: the system’s CAs do not know the test CA', () => ({ cert: pem(certs.clientCertFile), key: pem(certs.clientKeyFile), serverName: certs.serverName })],
  ])('refuses %s, and every command fails closed', async (_, tls) => {
    const kv = openKv({ tls: tls(), timeoutSeconds: 1 });
    await expect(kv.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    const results = await Promise.allSettled([kv.get('k'), kv.setIfAbsent('k', 'v', 60), kv.ping()]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
  });
});

describe('redis.tls with redis.sentinel: TLS to the sentinels and to every data node', () => {
  it('finds the master through the sentinels, and commands and subscriptions work', async () => {
    const kv = openKv(viaSentinels(goodTls()));
    await kv.connect();
    await kv.set('session', 'alice', 60);
    expect(await kv.get('session')).toBe('alice');
    const got: string[] = [];
    await kv.subscribe(
      'news',
      (m) => got.push(m),
      () => undefined,
    );
    await kv.publish('news', 'hello');
    await eventually(() => expect(got).toEqual(['hello']));
  });

  it.each([
    ['a CA that did not sign the certificates', () => ({ ...goodTls(), ca: pem(certs.otherCaFile) })],
    ['no server name (the sentinels name the nodes by IP address)', () => ({ ...goodTls(), serverName: undefined })],
    ['no client certificate', () => ({ ca: pem(certs.caFile), serverName: certs.serverName })],
  ])('refuses %s, and every command fails closed', async (_, tls) => {
    const kv = openKv({ ...viaSentinels(tls()), timeoutSeconds: 1 });
    await expect(kv.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(kv.get('session')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('follows a failover to the replica over TLS, with the data the replica had', async () => {
    const kv = openKv(viaSentinels(goodTls()));
    await kv.connect();
    await kv.set('kept', 'yes', 600);
    await sentinels.syncReplica();
    const oldPort = await sentinels.killMaster();
    const newPort = await sentinels.waitForNewMaster(oldPort);
    expect(newPort).not.toBe(oldPort);
    await eventually(async () => expect(await kv.get('kept')).toBe('yes'), 600);
    expect(await kv.setIfAbsent('after', 'failover', 60)).toBe(true);
  }, 90_000);
});
