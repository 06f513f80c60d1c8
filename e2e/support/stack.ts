import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { DEMO_USERS } from '../../server/commands/demo.js';
import { parseConfigText } from '../../server/config/load-config.js';
import { createLogger } from '../../server/core/logger.js';
import { createSampleApp } from '../../server/demo/sample-app.js';
import { createGateway, type Gateway } from '../../server/gateway.js';
import { getFreePort } from '../../server/testing/free-port.js';
import { writeUsersFile } from '../../server/testing/gateway-harness.js';
import { startRedisServer, type TestRedisServer } from '../../server/testing/redis-server.js';
import { testStorage } from '../../server/testing/test-storage.js';

/**
 * The demo's layout for browser tests: the sample app at http://localhost:PORT/ behind the
 * gateway, the portal at /auth/, sessions in a real Redis, the demo users. `configure` edits the
 * config object; the gateway's log lines are kept in `logs` for audit assertions.
 */
export async function startBrowserStack(configure: (config: Record<string, any>) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
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
  configure(config);
  const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const logs: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunk.toString('utf8').split('\n').filter(Boolean).forEach((line) => logs.push(JSON.parse(line))));
  const gateway: Gateway = await createGateway(loaded.config, { logger: createLogger({ level: 'info', destination: stream }) });
  await gateway.listen(port, '127.0.0.1');
  return {
    origin,
    gateway,
    logs,
    async close() {
      for (const step of [() => gateway.close(), () => new Promise<void>((r) => app.close(() => r())), () => redis.stop()]) {
        await Promise.resolve().then(step).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type BrowserStack = Awaited<ReturnType<typeof startBrowserStack>>;
