import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getFreePort } from './free-port.js';
import { builtGatehouseMain } from './gatehouse-tree.js';
import { baseConfig, type HarnessConfig } from './gateway-harness.js';
import { send, type TestResponse } from './http-client.js';
import { spawnGatehouse, type GatehouseProcess } from './spawn-gatehouse.js';

/**
 * Gateways as separate `gatehouse serve` processes, for the tests that kill, stop or restart
 * one: the harness's config (sites, rules, lenient regulation) with the test's Redis and
 * storage, each on a port of its own. Their users file needs DEFAULT_HASH_POLICY hashes.
 */
export interface GatewayProcess extends GatehouseProcess {
  port: number;
  configPath: string;
  request(o: Omit<Parameters<typeof send>[0], 'port'>): Promise<TestResponse>;
}

let written = 0;

export async function writeGatewayConfig(options: {
  dir: string;
  usersFile: string;
  upstreamPort: number;
  redis: Record<string, unknown>;
  storage: Record<string, unknown>;
  change?: (config: HarnessConfig & Record<string, any>) => void;
}): Promise<{ path: string; port: number }> {
  const port = await getFreePort();
  const config = baseConfig({ redisUrl: 'redis://unused', usersFile: options.usersFile, upstreamPort: options.upstreamPort }) as HarnessConfig & Record<string, any>;
  config.server.port = port;
  config.redis = options.redis as HarnessConfig['redis'];
  config.storage = options.storage as HarnessConfig['storage'];
  config.log = { level: 'info' };
  options.change?.(config);
  const path = join(options.dir, `gateway-${process.pid}-${++written}.yml`);
  writeFileSync(path, stringify(config));
  return { path, port };
}

/**
 * Killed by spawnGatehouse's safety net only after this long: a fault test keeps its gateways
 * through a whole scenario, longer than one command's run.
 */
const STUCK_AFTER_MS = 240_000;

/**
 * Starts `gatehouse serve` and resolves once it listens (`ready`: another line to wait for), and
 * with `untilReady` once /readyz says Redis and storage answer: a gateway starts listening before
 * its first Redis connection is up (it retries in the background, failing closed meanwhile), and
 * on a busy machine a test's first sign-in could otherwise meet that 503. It runs the built
 * main.js (gatehouse-tree.ts, or `main`), as the image does: through tsx each start cost about
 * twice the CPU.
 */
export async function startGatewayProcess(
  configPath: string,
  port: number,
  ready = /gatehouse is listening/,
  options: { untilReady?: boolean; main?: string } = {},
): Promise<GatewayProcess> {
  const main = options.main ?? (await builtGatehouseMain());
  const child = spawnGatehouse(['serve', '--config', configPath], { stuckAfterMs: STUCK_AFTER_MS, main });
  await child.waitForOutput(ready);
  const gateway: GatewayProcess = { ...child, port, configPath, request: (o) => send({ port, ...o }) };
  if (options.untilReady) {
    for (let tries = 1; ; tries++) {
      const probe = await gateway.request({ path: '/readyz' }).catch(() => undefined);
      if (probe?.status === 200) break;
      if (tries >= 600) throw new Error(`gateway on port ${port} not ready after 60 s: ${probe?.body ?? 'no answer'}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return gateway;
}
