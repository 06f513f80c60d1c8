import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../testing/capture-io.js';
import { getFreePort } from '../testing/free-port.js';
import { builtGatehouseMain } from '../testing/gatehouse-tree.js';
import { baseConfig, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { spawnGatehouse } from '../testing/spawn-gatehouse.js';
import { probeHost, runHealthcheck } from './healthcheck.js';

/**
 * `gatehouse healthcheck`, the image's HEALTHCHECK: it asks the config where the gateway listens
 * and succeeds only on a 200 from /healthz there.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

/** A config as the gateway's own would be, listening on `host`:`port`. */
function writeConfig(name: string, server: { host: string; port: number }): string {
  const config = baseConfig({ redisUrl: h.redis.url, usersFile: h.usersFile, upstreamPort: h.upstream.port });
  const path = join(h.dir, `${name}.yml`);
  writeFileSync(path, stringify({ ...config, server: { ...config.server, ...server } }));
  return path;
}

async function check(path: string) {
  const { io, out, err } = captureIo();
  const code = await runHealthcheck(path, {}, io);
  return { code, out: out(), err: err() };
}

describe('gatehouse healthcheck', () => {
  it('the binary, given its config only through GATEHOUSE_CONFIG as in the image, passes on a gateway listening on any port', async () => {
    const path = writeConfig('any-port', { host: '0.0.0.0', port: h.port });
    const exit = await spawnGatehouse(['healthcheck'], { env: { GATEHOUSE_CONFIG: path }, main: await builtGatehouseMain() }).exited;
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stdout).toBe(`http://127.0.0.1:${h.port}/healthz: 200\n`);
    expect(h.upstream.seen).toEqual([]);
  }, 90_000);

  it.each([['127.0.0.1'], ['::'], ['0.0.0.0']])('reaches a gateway whose config says host %s', async (host) => {
    const result = await check(writeConfig(`host-${host.replaceAll(':', '_')}`, { host, port: h.port }));
    expect(result).toMatchObject({ code: 0, err: '' });
  });

  it('fails when nothing listens on the configured port', async () => {
    const port = await getFreePort();
    const result = await check(writeConfig('nothing', { host: '0.0.0.0', port }));
    expect(result.code).toBe(1);
    expect(result.err).toBe(`gatehouse healthcheck: http://127.0.0.1:${port}/healthz: ECONNREFUSED\n`);
  });

  it.each([[503], [302], [404]])('fails when /healthz answers %i', async (status) => {
    const server: Server = createServer((_req, res) => res.writeHead(status, { location: 'http://auth.localhost/' }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await check(writeConfig(`status-${status}`, { host: '127.0.0.1', port }));
      expect(result.code).toBe(1);
      expect(result.err).toMatch(new RegExp(`/healthz: answered ${status}\\n$`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails on a config it cannot read, naming the problem', async () => {
    const path = join(h.dir, 'broken.yml');
    writeFileSync(path, 'server: { port: "nine" }\n');
    const result = await check(path);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/server\.port/);
    expect((await check(join(h.dir, 'absent.yml'))).err).toMatch(/cannot be read \(ENOENT\)/);
  });

  it('probes loopback for a wildcard listen address and the address itself otherwise', () => {
    expect(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '127.0.0.1', '::1', '[::1]', '10.1.2.3', 'gatehouse.internal'].map(probeHost)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '::1',
      '::1',
      '10.1.2.3',
      'gatehouse.internal',
    ]);
  });
});
