import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseConfigText } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { createSampleApp } from '../demo/sample-app.js';
import { hashPassword } from '../directory/password-hash.js';
import { createGateway, type Gateway } from '../gateway.js';
import type { CommandIo } from './check-config.js';
import { stopSignal } from './serve.js';

export const DEMO_USERS = [
  { username: 'alice', password: 'alice-demo-pass', displayname: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'] },
  { username: 'bob', password: 'bob-demo-pass', displayname: '陳柏宇 Bob Chen', email: 'bob@corp.example', groups: ['dev'] },
];

/**
 * One command, no Redis: the gateway on localhost in front of a sample app, two users, sessions
 * in memory, everything in a temporary folder that goes when the demo stops. The portal sits at
 * /auth/ on the same host so that plain http on localhost works (WebAuthn included). Runs until
 * `options.stop` aborts (default: SIGINT or SIGTERM).
 */
export async function runDemo(args: string[], io: CommandIo, options: { stop?: AbortSignal } = {}): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { port: { type: 'string', default: '9091' } } });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || !Number.isInteger(port) || port < 1 || port > 65535) {
    io.stderr.write(`gatehouse demo: --port must be a port number\n`);
    return 2;
  }
  const stop = options.stop ?? stopSignal();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
  // Log lines wait until the banner is out, so none lands inside it.
  const logs = heldUntilReleased(io.stdout);
  let app: Server | undefined;
  let gateway: Gateway | undefined;
  try {
    app = createSampleApp({ portalUrl: `http://localhost:${port}/auth/` });
    await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve));
    const configText = await writeDemoFiles(dir, port, (app.address() as AddressInfo).port);
    const loaded = parseConfigText(configText, { env: {}, baseDir: dir });
    if (!loaded.ok) throw new Error(`demo config is invalid: ${loaded.errors.join('; ')}`);
    gateway = await createGateway(loaded.config, { logger: createLogger({ level: loaded.config.log.level, destination: logs }) });
    try {
      await gateway.listen();
    } catch (error) {
      io.stderr.write(`gatehouse demo: cannot listen on port ${port} (${(error as NodeJS.ErrnoException).code}); try --port ${port === 65535 ? 9092 : port + 1}\n`);
      return 1;
    }
    io.stdout.write(demoBanner(port, join(dir, 'gatehouse.yml')));
    logs.release();
    if (!stop.aborted) await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    return 0;
  } finally {
    logs.release();
    await gateway?.close();
    await new Promise<void>((resolve) => (app?.listening ? app.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the demo prints once it listens; the README quotes it (a test keeps the two the same). */
export function demoBanner(port: number, configPath: string): string {
  const portal = `http://localhost:${port}/auth/`;
  return [
    '',
    `  Gatehouse demo is running: open http://localhost:${port}/`,
    '',
    ...DEMO_USERS.map((u) => `    ${u.username.padEnd(6)} password: ${u.password.padEnd(16)} groups: ${u.groups.join(', ')}`),
    '',
    '  /public/ needs no sign-in; /admin/ is for the admins group only;',
    `  /secure/ needs a second factor: add an authenticator app, a passkey or a phone at ${portal}methods`,
    '  (for push approval, open the "Add phone" link in a second browser window: it plays the phone)',
    '  With a passkey added, "Sign in with a passkey" on the sign-in page needs no password.',
    `  Config used: ${configPath} (removed when the demo stops)`,
    '  Press Ctrl+C to stop.',
    '',
    '',
  ].join('\n');
}

async function writeDemoFiles(dir: string, port: number, appPort: number): Promise<string> {
  const users: Record<string, unknown> = {};
  for (const u of DEMO_USERS) {
    users[u.username] = { displayname: u.displayname, email: u.email, groups: u.groups, password: await hashPassword(u.password), disabled: false };
  }
  writeFileSync(join(dir, 'users.yml'), stringify({ users }), { mode: 0o600 });
  const configText = stringify({
    server: { host: '127.0.0.1', port, portal_url: `http://localhost:${port}/auth/` },
    // Warnings and errors only: a line per request would bury the banner.
    log: { level: 'warn' },
    session: { store: 'memory', idle_timeout: '1h', absolute_timeout: '12h', remember_me: '7d' },
    authentication: { users_file: 'users.yml' },
    // A fresh key per demo run: the demo's database lives in the temporary folder too.
    storage: { path: 'gatehouse.db', encryption_keys: [{ id: 'demo', key: randomBytes(32).toString('base64') }] },
    // On this machine a user may add their first second factor right after the password.
    enrollment: { trusted_networks: ['127.0.0.0/8', '::1/128'] },
    second_factors: {
      // "Sign in with a passkey": a passkey with user verification stands for both factors.
      webauthn: { passwordless: true },
      // Push approval over the live channel: open the "Add phone" link in another browser window as the phone.
      push: { enabled: true },
    },
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
  return configText;
}

/** A log destination that keeps its lines until `release()`, then writes them and everything after to `out`. */
function heldUntilReleased(out: NodeJS.WritableStream) {
  let held: string[] | undefined = [];
  return {
    write(line: string) {
      if (held) held.push(line);
      else out.write(line);
    },
    release() {
      for (const line of held ?? []) out.write(line);
      held = undefined;
    },
  };
}
