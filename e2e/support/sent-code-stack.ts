import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../../server/config/load-config.js';
import { createSilentLogger } from '../../server/core/logger.js';
import { createSampleApp } from '../../server/demo/sample-app.js';
import { hashPassword } from '../../server/directory/password-hash.js';
import { createGateway, type Gateway } from '../../server/gateway.js';
import { getFreePort } from '../../server/testing/free-port.js';
import { startRedisServer } from '../../server/testing/redis-server.js';
import type { SmsProvider } from '../../server/testing/sms-provider.js';
import { TEST_HASH_POLICY } from '../../server/testing/test-password-hash.js';
import { testStorage } from '../../server/testing/test-storage.js';

/** A user of the stack's users file; every one has the stack's password. */
export interface SentCodeUser {
  displayname: string;
  email: string;
  mobile?: string;
  groups: string[];
}

/**
 * `second_factors.sms_otp` sending through `sms` (a local server playing Twilio's Messages API):
 * Taiwanese numbers, room for every text a browser walk sends in both languages, and a 2 s
 * timeout (a hung provider becomes "could not send" after it). `extra` adds or overrides keys.
 */
export function smsOtpThrough(sms: SmsProvider, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: true,
    default_region: 'TW',
    allowed_countries: ['TW'],
    max_sends: 20,
    max_per_number_per_day: 20,
    timeout: '2s',
    sender: { type: 'twilio', account_sid: `AC${'d4'.repeat(16)}`, auth_token: 'tok', from: '+15005550006', api_url: sms.url },
    ...extra,
  };
}

/**
 * The gateway for codes sent by email or SMS, in front of the sample app (the site "canteen" at
 * http://localhost:PORT/, the portal at /auth/): a real Redis, a users file holding `users` (all
 * with `password`), `secondFactors` as `second_factors`, an optional `smtp` section, and one rule:
 * localhost needs two factors, one of `factors`. `close` stops everything it started.
 */
export async function startSentCodeStack(options: {
  password: string;
  users: Record<string, SentCodeUser>;
  factors: string[];
  secondFactors: Record<string, unknown>;
  smtp?: Record<string, unknown>;
}) {
  const stops: Array<() => unknown> = [];
  const close = async () => {
    // Each step on its own: one failing must not leave the others running.
    for (const stop of stops.splice(0).reverse())
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-codes-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startRedisServer();
    stops.push(() => redis.stop());
    const app: Server = createSampleApp({ portalUrl: 'http://placeholder/' });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((r) => app.close(() => r())));
    const port = await getFreePort();
    const origin = `http://localhost:${port}`;
    const usersFile = join(dir, 'users.yml');
    const hash = await hashPassword(options.password, TEST_HASH_POLICY);
    writeFileSync(usersFile, stringify({ users: Object.fromEntries(Object.entries(options.users).map(([name, user]) => [name, { ...user, password: hash }])) }));
    const config = {
      server: { host: '127.0.0.1', port, portal_url: `${origin}/auth/` },
      session: { store: 'redis' },
      redis: { url: redis.url },
      authentication: { users_file: usersFile, watch: false },
      storage: testStorage(join(dir, 'gatehouse.db')),
      ...(options.smtp ? { smtp: options.smtp } : {}),
      second_factors: options.secondFactors,
      sites: [{ name: 'canteen', url: `${origin}/`, upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` }],
      access_control: { default_policy: 'deny', rules: [{ domain: 'localhost', policy: 'two_factor', factors: options.factors }] },
    };
    const loaded = parseConfigText(stringify(config), { env: {}, baseDir: dir });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const gateway: Gateway = await createGateway(loaded.config, { logger: createSilentLogger(), hashPolicy: TEST_HASH_POLICY });
    stops.push(() => gateway.close());
    await gateway.listen(port, '127.0.0.1');
    return { origin, gateway, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export type SentCodeStack = Awaited<ReturnType<typeof startSentCodeStack>>;
