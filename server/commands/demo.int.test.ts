import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getFreePort } from '../testing/free-port.js';
import { builtGatehouseMain } from '../testing/gatehouse-tree.js';
import { send } from '../testing/http-client.js';
import { demoBanner, runDemo } from './demo.js';

/**
 * `gatehouse demo` as a newcomer meets it: the banner the README quotes, nothing else inside
 * it, passkey sign-in on, and its temporary folder gone when it stops — also on SIGINT/SIGTERM
 * to the real process.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG_LINE = /^ {2}Config used: (.*)\/gatehouse\.yml \(removed when the demo stops\)$/m;
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-demo-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The demo in this process, on a free port, until `stop` aborts. */
async function startDemo() {
  const port = await getFreePort();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  // Started once the banner's last line is out; anything on stderr, or an early end, fails the start.
  let started: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  stdout.on('data', (c) => ((out += c), out.includes('Press Ctrl+C to stop.') && started()));
  stderr.on('data', (c) => ((err += c), started()));
  const stop = new AbortController();
  const exit = runDemo(['--port', String(port)], { stdout, stderr }, { stop: stop.signal });
  await Promise.race([ready, exit]);
  return { port, out: () => out, err: () => err, stop: () => stop.abort(), exit, dir: CONFIG_LINE.exec(out)?.[1] ?? '' };
}

/** The README's quoted banner: the code block after "`npm run demo` prints". */
function readmeBanner(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /`npm run demo` prints[^\n]*:\n\n```\n([\s\S]*?)```\n/.exec(readme);
  if (!block) throw new Error('README: no quoted demo banner');
  return block[1]!;
}

describe('gatehouse demo', () => {
  // One demo in this process for the first three tests, in the order a newcomer meets it:
  // the banner, the sign-in page, then the stop.
  let demo: Awaited<ReturnType<typeof startDemo>>;
  beforeAll(async () => {
    [demo, main] = await Promise.all([startDemo(), builtGatehouseMain()]);
  }, 120_000);
  afterAll(async () => {
    demo?.stop();
    await demo?.exit;
  });

  it('prints exactly the banner the README quotes, with no log line inside it, then the logs', () => {
    expect(demo.err()).toBe('');
    const banner = demoBanner(demo.port, join(demo.dir, 'gatehouse.yml'));
    expect(demo.out().startsWith(banner)).toBe(true);
    expect(banner).not.toContain('{');
    // What follows the banner is log lines, JSON each.
    for (const line of demo.out().slice(banner.length).split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    const asReadme = banner.replaceAll(`localhost:${demo.port}`, 'localhost:9091').replace(demo.dir, '/tmp/gatehouse-demo-XXXXXX');
    expect(readmeBanner()).toBe(asReadme);
  });

  it('turns on passkey sign-in: the config says so and the sign-in page offers it', async () => {
    const config = parse(readFileSync(join(demo.dir, 'gatehouse.yml'), 'utf8'));
    expect(config.second_factors.webauthn).toEqual({ passwordless: true });
    const page = await send({ port: demo.port, path: '/auth/', host: `localhost:${demo.port}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-webauthn="passwordless"');
  });

  it('removes its temporary folder when it stops', async () => {
    expect(readdirSync(demo.dir).sort()).toEqual(expect.arrayContaining(['gatehouse.db', 'gatehouse.yml', 'users.yml']));
    demo.stop();
    expect(await demo.exit).toBe(0);
    expect(existsSync(demo.dir)).toBe(false);
  });

  it('says which port is taken, exits 1 and leaves no folder behind', { timeout: 90_000 }, async () => {
    const blocker = createServer();
    const port = await getFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const { code, out, err, tmp } = await runProcess(['demo', '--port', String(port)]);
      expect(code).toBe(1);
      expect(err).toContain(`cannot listen on port ${port}`);
      expect(out).not.toContain('Gatehouse demo is running');
      expect(leftBehind(tmp)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('the real process stops on %s, exits 0 and removes its folder', { timeout: 90_000 }, async (signal) => {
    const port = await getFreePort();
    const { code, out, err, tmp } = await runProcess(['demo', '--port', String(port)], { until: 'Press Ctrl+C to stop.', signal });
    expect(out).toContain(`open http://localhost:${port}/`);
    expect(CONFIG_LINE.exec(out)?.[1]?.startsWith(tmp)).toBe(true);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(leftBehind(tmp)).toEqual([]);
  });
});

/**
 * What the demo left in a TMPDIR: everything, since the built tree needs no cache there (run
 * from source, tsx's compile cache and the portal assets built from source would be kept in it).
 */
const leftBehind = (tmp: string) => readdirSync(tmp);

/** The built gatehouse (gatehouse-tree.ts), laid out as `npm run demo` builds and runs it. */
let main: string;

/**
 * `gatehouse ARGS` as a child process with its own TMPDIR (so what it leaves behind is visible),
 * run with node from the built tree as `npm run demo` runs dist/server/main.js; with `until`,
 * sends `signal` once that text is on stdout.
 */
function runProcess(args: string[], options: { until?: string; signal?: NodeJS.Signals } = {}): Promise<{ code: number | null; out: string; err: string; tmp: string }> {
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  const child = spawn(process.execPath, [main, ...args], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalled = false;
  child.stdout.on('data', (c) => {
    out += c;
    if (options.until && !signalled && out.includes(options.until)) {
      signalled = true;
      child.kill(options.signal ?? 'SIGTERM');
    }
  });
  child.stderr.on('data', (c) => (err += c));
  // 'close', not 'exit': the output is all read by then.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err, tmp })));
}
