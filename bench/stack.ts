import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../server/testing/free-port.js';
import { DEFAULT_HASH_POLICY, hashPolicyOf, type PasswordHashSettings } from '../server/directory/password-hash.js';
import type { CorePlan } from './cores.js';
import { createSessions, writeGatewayConfig, writeUsersFile } from './fixtures.js';
import { buildGateway, startGateway } from './gateway-child.js';
import type { Bench } from './measure.js';
import { authRequestConfig, proxyConfig, upstreamConfig } from './nginx-configs.js';
import { checkScenarios } from './phases.js';
import { defineScenarios, type Scenario } from './scenarios.js';
import { startBareProxy, startBenchRedis, startHelloWorld, startNginx } from './servers.js';
import { buildServe, startWorkersGateway } from './workers-gateway.js';

export interface Stack {
  bench: Bench;
  /** Files the gateway was started with, for starting another one beside it. */
  files: { usersFile: string; upstreamPort: number };
  scenarios: Scenario[];
  scenario(key: Scenario['key']): Scenario;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Everything the scenarios need, on loopback: Redis, the upstream, nginx as a proxy and in
 * front of Gatehouse, the hello world, the gateway (its own process), and signed-in sessions.
 * Checked end to end before it is returned.
 */
export async function startStack(
  plan: CorePlan,
  options: {
    sessions: number;
    connections: number;
    gatewayNodeArgs?: string[];
    gatewayRoot?: string;
    threadPoolSize?: number;
    withWorkers?: boolean;
    /** bench/storm.ts's comparisons: where argon2 runs (bench/gateway-process.ts) and with which profile. */
    hasher?: string;
    passwordHash?: PasswordHashSettings;
    log: (line: string) => void;
  },
): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: unknown) => options.log(`stopping: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bundle = await buildGateway(options.gatewayRoot);
    const redis = await startBenchRedis(plan);
    stops.push(() => redis.close());
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'page.html'), page4k());
    const upstream = await startNginx(plan, dir, 'upstream', upstreamConfig(join(dir, 'www')));
    stops.push(upstream.stop);
    const nginxProxy = await startNginx(plan, dir, 'proxy', proxyConfig(upstream.port));
    stops.push(nginxProxy.stop);
    const hello = await startHelloWorld(plan);
    stops.push(hello.stop);
    const bareProxy = await startBareProxy(plan, upstream.port);
    stops.push(bareProxy.stop);

    const usersFile = join(dir, 'users.yml');
    const configFile = join(dir, 'gatehouse.yml');
    await writeUsersFile(usersFile, options.passwordHash ? hashPolicyOf(options.passwordHash) : DEFAULT_HASH_POLICY);
    writeGatewayConfig(configFile, {
      port: await getFreePort(),
      redisUrl: redis.url,
      usersFile,
      upstreamPort: upstream.port,
      ...(options.passwordHash ? { passwordHash: options.passwordHash } : {}),
    });
    const gateway = await startGateway(plan, {
      bundle,
      configFile,
      logFile: join(dir, 'gateway.log'),
      nodeArgs: options.gatewayNodeArgs ?? [],
      ...(options.threadPoolSize ? { threadPoolSize: options.threadPoolSize } : {}),
      ...(options.hasher ? { hasher: options.hasher } : {}),
    });
    stops.push(gateway.stop);
    const authRequest = await startNginx(plan, dir, 'auth-request', authRequestConfig(upstream.port, gateway.port));
    stops.push(authRequest.stop);
    // Scenario W (run.ts only): the same gateway as `gatehouse serve` with server.workers: 2.
    const workers = options.withWorkers ? await startWorkersGateway(plan, { bundle: await buildServe(), dir, baseConfigFile: configFile, port: await getFreePort() }) : undefined;
    if (workers) stops.push(workers.stop);

    const cookieFile = join(dir, 'cookies.txt');
    await createSessions({ redisUrl: redis.url, count: options.sessions, cookieFile });
    options.log(`${options.sessions} sessions created; gateway pid ${gateway.pid} on port ${gateway.port}`);

    const serverPids = [redis.pid, upstream.pid, nginxProxy.pid, hello.pid, bareProxy.pid, gateway.pid, authRequest.pid, ...(workers ? [workers.pid] : [])];
    const bench: Bench = { plan, tmpDir: dir, redis, gateway, cookieFile, connections: options.connections, serverPids, proxied: 0 };
    const ports = {
      upstream: upstream.port,
      nginxProxy: nginxProxy.port,
      hello: hello.port,
      gateway: gateway.port,
      authRequest: authRequest.port,
      bareProxy: bareProxy.port,
      ...(workers ? { workersGateway: workers.port } : {}),
    };
    await checkScenarios(bench, ports);
    const scenarios = defineScenarios(ports);
    return { bench, files: { usersFile, upstreamPort: upstream.port }, scenarios, scenario: (key) => scenarios.find((s) => s.key === key)!, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An HTML page of exactly 4096 bytes. */
function page4k(): string {
  const head = '<!doctype html><html><head><meta charset="utf-8"><title>Q3 report</title></head><body><main>';
  const tail = '</main></body></html>\n';
  let body = '';
  for (let i = 0; body.length < 4096 - head.length - tail.length; i++) body += `<p>Line ${i}: quarterly figures for the intranet benchmark.</p>`;
  return head + body.slice(0, 4096 - head.length - tail.length) + tail;
}
