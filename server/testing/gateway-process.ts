import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getFreePort } from './free-port.js';
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

/** Starts `gatehouse serve` and resolves once it listens (`ready`: another line to wait for). */
export async function startGatewayProcess(configPath: string, port: number, ready = /gatehouse is listening/): Promise<GatewayProcess> {
  const child = spawnGatehouse(['serve', '--config', configPath], { stuckAfterMs: STUCK_AFTER_MS });
  await child.waitForOutput(ready);
  return { ...child, port, configPath, request: (o) => send({ port, ...o }) };
}
