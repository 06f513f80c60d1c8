import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseConfigText } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { createSampleApp } from '../demo/sample-app.js';
import { hashPassword } from '../directory/password-hash.js';
import { createGateway } from '../gateway.js';
import type { CommandIo } from './check-config.js';
import { waitForSignal } from './serve.js';

export const DEMO_USERS = [
  { username: 'alice', password: 'alice-demo-pass', displayname: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'] },
  { username: 'bob', password: 'bob-demo-pass', displayname: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'] },
];

/**
 * One command, no Redis: the gateway on localhost in front of a sample app, two users, sessions
 * in memory. The portal sits at /auth/ on the same host so that plain http on localhost works.
 */
export async function runDemo(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { port: { type: 'string', default: '9091' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    io.stderr.write(`gatehouse demo: --port must be a port number\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
  const users: Record<string, unknown> = {};
  for (const u of DEMO_USERS) {
    users[u.username] = { displayname: u.displayname, email: u.email, groups: u.groups, password: await hashPassword(u.password), disabled: false };
  }
  writeFileSync(join(dir, 'users.yml'), stringify({ users }), { mode: 0o600 });

  const app = createSampleApp({ portalUrl: `http://localhost:${port}/auth/` });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;

  const configText = stringify({
    server: { host: '127.0.0.1', port, portal_url: `http://localhost:${port}/auth/` },
    log: { level: 'info' },
    session: { store: 'memory', idle_timeout: '1h', absolute_timeout: '12h', remember_me: '7d' },
    authentication: { users_file: 'users.yml' },
    // A fresh key per demo run: the demo's database lives in a temporary folder too.
    storage: { path: 'gatehouse.db', encryption_keys: [{ id: 'demo', key: randomBytes(32).toString('base64') }] },
    // On this machine a user may add their first second factor right after the password.
    enrollment: { trusted_networks: ['127.0.0.0/8', '::1/128'] },
    // Push approval over the live channel: open the "Add phone" link in another browser window as the phone.
    second_factors: { push: { enabled: true } },
    sites: [{ name: 'sample-app', url: `http://localhost:${port}/`, upstream: `http://127.0.0.1:${appPort}` }],
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: 'localhost', resources: ['/public/.*'], policy: 'bypass' },
        { domain: 'localhost', resources: ['/secure/.*'], policy: 'two_factor' },
        { domain: 'localhost', resources: ['/admin/.*'], subject: ['group:admins'], policy: 'one_factor' },
        { domain: 'localhost', resources: ['/admin/.*'], policy: 'deny' },
        { domain: 'localhost', policy: 'one_factor' },
      ],
    },
  });
  writeFileSync(join(dir, 'gatehouse.yml'), configText);
  const loaded = parseConfigText(configText, { env: {}, baseDir: dir });
  if (!loaded.ok) throw new Error(`demo config is invalid: ${loaded.errors.join('; ')}`);

  const logger = createLogger({ level: 'warn' });
  const gateway = await createGateway(loaded.config, { logger });
  try {
    await gateway.listen();
  } catch (error) {
    io.stderr.write(`gatehouse demo: cannot listen on port ${port} (${(error as NodeJS.ErrnoException).code}); try --port 9092\n`);
    app.close();
    await gateway.close();
    return 1;
  }
  io.stdout.write(
    [
      '',
      `  Gatehouse demo is running: open http://localhost:${port}/`,
      '',
      ...DEMO_USERS.map((u) => `    ${u.username.padEnd(6)} password: ${u.password.padEnd(16)} groups: ${u.groups.join(', ')}`),
      '',
      `  /public/ needs no sign-in; /admin/ is for the admins group only;`,
      `  /secure/ needs a second factor: add an authenticator app, a passkey or a phone at http://localhost:${port}/auth/methods`,
      '  (for push approval, open the "Add phone" link in a second browser window: it plays the phone)',
      `  Config used: ${join(dir, 'gatehouse.yml')}`,
      '  Press Ctrl+C to stop.',
      '',
    ].join('\n') + '\n',
  );
  await waitForSignal();
  await gateway.close();
  app.close();
  return 0;
}
