import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { DEMO_USERS } from '../../server/commands/demo.js';
import type { Clock } from '../../server/core/clock.js';
import { parseConfigText } from '../../server/config/load-config.js';
import { createLogger } from '../../server/core/logger.js';
import { createSampleApp } from '../../server/demo/sample-app.js';
import { createGateway, type Gateway } from '../../server/gateway.js';
import { getFreePort } from '../../server/testing/free-port.js';
import { writeUsersFile } from '../../server/testing/gateway-harness.js';
import { startRedisServer, type TestRedisServer } from '../../server/testing/redis-server.js';
import { testStorage } from '../../server/testing/test-storage.js';
import { TEST_HASH_POLICY } from '../../server/testing/test-password-hash.js';

/**
 * What every browser stack starts from: the sample app behind a portal at http://localhost:PORT/auth/,
 * a real Redis, the demo users, a storage file, and the config that ties them (to be extended).
 * `services` stops Redis and the app; `dir` holds the files.
 */
export async function prepareDemoLayout(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const port = await getFreePort();
  const origin = `http://localhost:${port}`;
  const redis: TestRedisServer = await startRedisServer();
  const app: Server = createSampleApp({ portalUrl: `${origin}/auth/` });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const usersFile = join(dir, 'users.yml');
  await writeUsersFile(usersFile, Object.fromEntries(DEMO_USERS.map(({ username, ...u }) => [username, { ...u, disabled: false }])));
  const config: Record<string, any> = {
    server: { host: '127.0.0.1', port, portal_url: `${origin}/auth/` },
    session: { store: 'redis' },
    redis: { url: redis.url },
    authentication: { users_file: usersFile, watch: false },
    storage: testStorage(join(dir, 'gatehouse.db')),
    sites: [{ name: 'sample-app', url: `${origin}/`, upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` }],
    access_control: { default_policy: 'deny', rules: [{ domain: 'localhost', policy: 'one_factor' }] },
  };
  return {
    dir,
    port,
    origin,
    config,
    /** Stops Redis and the sample app, in that order; never throws. */
    services: [() => redis.stop(), () => new Promise<void>((r) => app.close(() => r()))] as (() => Promise<unknown>)[],
  };
}

/** Parses the finished config object as the gateway would read the file. */
export function parseStackConfig(config: Record<string, any>, dir: string) {
  const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
}

/** A logger whose JSON lines land in `logs`, each with `extra` merged in. */
export function captureLogs(logs: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) =>
    chunk
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .forEach((line) => logs.push({ ...extra, ...JSON.parse(line) })),
  );
  return createLogger({ level: 'info', destination: stream });
}

/**
 * The demo's layout for browser tests: the sample app at http://localhost:PORT/ behind the
 * gateway, the portal at /auth/, sessions in a real Redis, the demo users. `configure` edits the
 * config object; the gateway's log lines are kept in `logs` for audit assertions. `clock` (say a
 * `createMovableClock()`) is the gateway's time, so a test can move it on instead of waiting.
 */
export async function startBrowserStack(configure: (config: Record<string, any>) => void = () => undefined, options: { clock?: Clock } = {}) {
  const { dir, port, origin, config, services } = await prepareDemoLayout('gatehouse-e2e-');
  configure(config);
  const logs: Record<string, unknown>[] = [];
  const gateway: Gateway = await createGateway(parseStackConfig(config, dir), {
    logger: captureLogs(logs),
    hashPolicy: TEST_HASH_POLICY,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await gateway.listen(port, '127.0.0.1');
  return {
    origin,
    gateway,
    logs,
    async close() {
      for (const step of [() => gateway.close(), ...services.slice().reverse()]) {
        await Promise.resolve()
          .then(step)
          .catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type BrowserStack = Awaited<ReturnType<typeof startBrowserStack>>;
