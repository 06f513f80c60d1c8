/**
 * Scenario L: nginx `auth_request` to LemonLDAP::NG's handler (Debian's lemonldap-ng and
 * lemonldap-ng-fastcgi-server), beside F (nginx `auth_request` to Gatehouse), in the same run,
 * with the same load, cores and CPU accounting. Everything LemonLDAP::NG needs is set up in a
 * temporary folder of its own (bench/lemonldap-config.ts); without the packages the part is
 * skipped with the reason, never failed.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send } from '../server/testing/http-client.js';
import { startEchoUpstream } from '../server/testing/upstream-echo.js';
import { onCore, type CorePlan } from './cores.js';
import { serverCpuSeconds } from './cpu.js';
import { WIKI_HOST } from './fixtures.js';
import { ECHO_PREFIX, fastcgiProcesses, lemonldapConf, lemonldapIni, lemonldapNginxConfig, lemonldapPaths, loginTokenOf, ssoSessionOf } from './lemonldap-config.js';
import { measure, median, summarize, type Bench, type Measurement, type Summary } from './measure.js';
import type { Profile } from './profiles.js';
import { PAGE_PATH, type Scenario } from './scenarios.js';
import { startNginx, stopChild, type Running } from './servers.js';
import type { Stack } from './stack.js';

type Log = (line: string) => void;

const FASTCGI_SERVER = '/usr/sbin/llng-fastcgi-server';
/** The portal's host for LemonLDAP::NG; the protected host is F's (wiki.localhost), with the same path. */
const LLNG_PORTAL_HOST = 'sso.localhost';
/** Debian's demo accounts (Lemonldap::NG::Portal::UserDB::Demo); the password is the name. */
const DEMO_USERS = ['dwho', 'rtyler', 'msmith'] as const;
/** Perl modules the handler and its portal load in this setup, and the Debian package of each. */
const PERL_MODULES = [
  { module: 'Lemonldap::NG::Handler::Server::Nginx', pkg: 'lemonldap-ng-handler' },
  { module: 'Lemonldap::NG::Portal::Main', pkg: 'liblemonldap-ng-portal-perl' },
  { module: 'FCGI::ProcManager', pkg: 'libfcgi-procmanager-perl' },
  // The portal always loads its captcha module, which draws with Image::Magick: both only
  // Recommends of liblemonldap-ng-portal-perl, so `--no-install-recommends` leaves them out.
  { module: 'GD::SecurityImage', pkg: 'libgd-securityimage-perl' },
  { module: 'Image::Magick', pkg: 'libimage-magick-perl' },
] as const;

/** The two ways a session reaches the auth service, each measured for F and L alike. */
export type SessionMode = 'rotating' | 'single';
const MODES: Record<SessionMode, string> = {
  rotating: 'every request another of the distinct sessions (as every other scenario)',
  single: "one session on every request (LemonLDAP::NG's per-process last-session cache always hits)",
};

export interface AuthSummary extends Summary {
  /** CPU µs per response of the auth service alone: Gatehouse's process and Redis for F; LemonLDAP::NG's manager and workers for L. */
  authCpuUs: number;
}

export interface LemonldapModeResult {
  description: string;
  F: AuthSummary;
  L: AuthSummary;
  /** Gatehouse's auth CPU µs per request over LemonLDAP::NG's: the issue wants ≤ 0.1. */
  auth_request_vs_lemonldap_by_cpu: number;
  /** The same over everything under test (nginx and the upstream too). */
  auth_request_vs_lemonldap_by_server_cpu: number;
  /** L's throughput over F's. */
  lemonldap_vs_auth_request: number;
}

export interface LemonldapResult {
  version: string;
  /** FastCGI workers llng-fastcgi-server forked (its default, NPROC 7), besides its manager. */
  workers: number;
  /** L's distinct sessions in the rotating mode (F's are the stack's: as many in the full run). */
  sessions: number;
  modes: Record<SessionMode, LemonldapModeResult>;
  /** Resident memory after the runs: Gatehouse's one process; LemonLDAP::NG's manager and workers (RSS summed counts shared pages once per process; PSS shares them out). */
  memory: { gatehouse: { rssMb: number; pssMb: number }; lemonldap: { rssMb: number; pssMb: number; processes: number } };
  /** In bench/results.json only: the `--lemonldap-only` run these figures come from, when it is not the run of the rest. */
  run?: { from: string; date: string; load_before: number[]; load_after: number[] };
}

export type LemonldapPart = LemonldapResult | { skipped: string };

/** Why LemonLDAP::NG cannot run here, or undefined when it can. */
export function lemonldapMissing(server = FASTCGI_SERVER, modules: ReadonlyArray<{ module: string; pkg: string }> = PERL_MODULES): string | undefined {
  if (!existsSync(server)) return `${server} is missing: apt-get install --no-install-recommends lemonldap-ng lemonldap-ng-fastcgi-server`;
  const missing = modules.filter((m) => spawnSync('perl', [`-M${m.module}`, '-e', '1'], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0)
    return `Perl modules missing: ${missing.map((m) => m.module).join(', ')} (apt-get install --no-install-recommends ${missing.map((m) => m.pkg).join(' ')})`;
  return undefined;
}

interface Lemonldap {
  /** The FastCGI manager; its workers are its children. */
  pid: number;
  nginx: Running;
  cookieFile: string;
  singleCookieFile: string;
  workers: number;
  stop(): Promise<void>;
}

/**
 * LemonLDAP::NG in a temporary folder: llng-fastcgi-server in the foreground on a unix socket,
 * on the server core, as `nobody` when the bench runs as root (it refuses root), and nginx with
 * the portal and protected vhosts; then `sessions` SSO sessions made by signing in through
 * the portal with the demo accounts, and the checks.
 */
async function startLemonldap(plan: CorePlan, options: { upstreamPort: number; sessions: number; log: Log }): Promise<Lemonldap> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-llng-'));
  const paths = lemonldapPaths(dir);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: unknown) => options.log(`stopping LemonLDAP::NG: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const d of [paths.confDir, paths.sessionLocks, paths.persistentSessionLocks, paths.cache]) mkdirSync(d, { recursive: true });
    writeFileSync(paths.ini, lemonldapIni(dir));
    writeFileSync(paths.conf, JSON.stringify(lemonldapConf(dir, { portal: LLNG_PORTAL_HOST, protected: WIKI_HOST, domain: 'localhost' }), null, 1));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('chown', ['-R', 'nobody:nogroup', dir]);

    const log = openSync(paths.log, 'a');
    const [file, args] = onCore(plan, plan.serverCore, FASTCGI_SERVER, [
      '--foreground',
      '--socket',
      paths.socket,
      '--pid',
      paths.pidFile,
      ...(asRoot ? ['--user', 'nobody', '--group', 'nogroup'] : []),
    ]);
    const child = spawn(file, args, {
      stdio: ['ignore', log, log],
      env: { ...process.env, LLNG_DEFAULTCONFFILE: paths.ini, LLNG_DEFAULTLOGGER: 'Lemonldap::NG::Common::Logger::Std' },
    });
    closeSync(log);
    stops.push(() => stopChild(child));
    const workers = await waitForWorkers(child, paths.socket, paths.log);

    const echo = await startEchoUpstream();
    let echoClosed = false;
    stops.push(() => (echoClosed ? Promise.resolve() : echo.close()));
    const nginx = await startNginx(
      plan,
      dir,
      'lemonldap',
      lemonldapNginxConfig({ socket: paths.socket, upstreamPort: options.upstreamPort, echoPort: echo.port, portalHost: LLNG_PORTAL_HOST, protectedHost: WIKI_HOST }),
    );
    stops.push(nginx.stop);

    const signInStarted = performance.now();
    const ids = await signIn(nginx.port, options.sessions);
    const signInS = (performance.now() - signInStarted) / 1000;
    const cookieFile = join(dir, 'cookies.txt');
    const singleCookieFile = join(dir, 'cookies-single.txt');
    writeFileSync(cookieFile, ids.map((id) => `other=1; lemonldap=${id}; theme=dark\n`).join(''));
    writeFileSync(singleCookieFile, `other=1; lemonldap=${ids[0]}; theme=dark\n`);
    await checkLemonldap(nginx.port, ids);
    await echo.close();
    echoClosed = true;
    options.log(
      `LemonLDAP::NG: llng-fastcgi-server pid ${child.pid} with ${workers} workers; nginx on port ${nginx.port}; ${ids.length} sessions signed in through the portal in ${signInS.toFixed(1)} s`,
    );
    return { pid: child.pid!, nginx, cookieFile, singleCookieFile, workers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Until the socket exists and the manager has forked its workers (FCGI::ProcManager logs each one). */
async function waitForWorkers(child: ChildProcess, socket: string, logFile: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`llng-fastcgi-server exited (${child.exitCode ?? child.signalCode}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const workers = fastcgiProcesses(child.pid!, processTable()).length - 1;
    if (workers !== seen) {
      seen = workers;
      stableSince = Date.now();
    }
    if (existsSync(socket) && workers > 0 && Date.now() - stableSince > 500) return workers;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`llng-fastcgi-server did not start in ${timeoutMs} ms:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

function processTable(): Array<{ pid: number; ppid: number }> {
  const table: Array<{ pid: number; ppid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      table.push({ pid, ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** `count` SSO sessions, each by a sign-in through the portal's form (its one-time token first), a few at a time. */
async function signIn(port: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const one = async (user: string): Promise<string> => {
    const page = await send({ port, path: '/', host: LLNG_PORTAL_HOST });
    const token = loginTokenOf(page.body);
    if (page.status !== 200 || !token) throw new Error(`LemonLDAP::NG's sign-in page answered ${page.status} without a token`);
    const response = await send({
      port,
      method: 'POST',
      path: '/',
      host: LLNG_PORTAL_HOST,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user, password: user, token }).toString(),
    });
    const id = ssoSessionOf(response.headers['set-cookie']);
    if (!id) throw new Error(`LemonLDAP::NG's sign-in of ${user} answered ${response.status} without a session cookie`);
    return id;
  };
  const worker = async () => {
    while (next < count) {
      const i = next++;
      ids[i] = await one(DEMO_USERS[i % DEMO_USERS.length]!);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return ids;
}

/**
 * Before anything is measured: without a cookie, and with a made-up one, the handler sends the
 * browser to its portal; with a session the page arrives, and the upstream sees the user
 * LemonLDAP::NG exported (through the echo location, which passes the same headers on).
 */
async function checkLemonldap(port: number, ids: readonly string[]): Promise<void> {
  const fail = (what: string, status: number) => {
    throw new Error(`sanity check failed: L ${what} answered ${status}`);
  };
  const toPortal = (r: { status: number; headers: Record<string, unknown> }) => r.status === 302 && String(r.headers.location).startsWith(`http://${LLNG_PORTAL_HOST}/`);
  const anonymous = await send({ port, path: PAGE_PATH, host: WIKI_HOST });
  if (!toPortal(anonymous)) fail('without a session', anonymous.status);
  const forged = await send({ port, path: PAGE_PATH, host: WIKI_HOST, headers: { cookie: `lemonldap=${'0'.repeat(64)}` } });
  if (!toPortal(forged)) fail('with an unknown session', forged.status);
  const page = await send({ port, path: PAGE_PATH, host: WIKI_HOST, headers: { cookie: `other=1; lemonldap=${ids[0]}; theme=dark` } });
  if (page.status !== 200 || page.body.length !== 4096) fail('with a session', page.status);
  for (const [i, id] of [ids[0]!, ids[1] ?? ids[0]!].entries()) {
    const echoed = await send({ port, path: `${ECHO_PREFIX}check`, host: WIKI_HOST, headers: { cookie: `lemonldap=${id}`, 'auth-user': 'mallory' } });
    const seen = echoed.status === 200 ? (JSON.parse(echoed.body) as { headers: Record<string, string> }).headers : {};
    if (seen['auth-user'] !== DEMO_USERS[i % DEMO_USERS.length]) fail(`with a session, at the upstream (Auth-User ${JSON.stringify(seen['auth-user'])})`, echoed.status);
  }
}

/** Resident set and proportional set of a process, in MB (smaps_rollup). */
function residentMb(pid: number): { rssMb: number; pssMb: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssMb: kb('Rss') / 1024, pssMb: kb('Pss') / 1024 };
  } catch {
    return { rssMb: NaN, pssMb: NaN };
  }
}

/** One wrk run with the auth service's own CPU time per response beside everything under test's. */
async function measureAuth(bench: Bench, scenario: Scenario, seconds: number, authRoots: number[]): Promise<Measurement & { authCpuUs: number }> {
  const before = serverCpuSeconds(authRoots);
  const m = await measure(bench, scenario, seconds);
  return { ...m, authCpuUs: m.wrk.requests > 0 ? ((serverCpuSeconds(authRoots) - before) * 1e6) / m.wrk.requests : NaN };
}

/**
 * F and L in each session mode, alternating run by run (F, L, L, F, …) so that other load on
 * the machine lands on both; the ratio of their auth services' CPU µs per request in each mode.
 */
export async function runLemonldapPart(stack: Stack, profile: Profile, log: Log): Promise<LemonldapPart> {
  const missing = lemonldapMissing();
  if (missing) {
    log(`LemonLDAP::NG: skipped: ${missing}`);
    return { skipped: missing };
  }
  // Every session is a sign-in through the Perl portal (about 0.1 s of the server core each): the
  // quick smoke check signs in a tenth of them, the full run as many as F has.
  const sessions = profile.name === 'quick' ? Math.ceil(profile.sessions / 10) : profile.sessions;
  const llng = await startLemonldap(stack.bench.plan, { upstreamPort: stack.files.upstreamPort, sessions, log });
  try {
    const F = stack.scenario('F');
    const L: Scenario = { ...F, key: 'L', label: 'nginx auth_request → LemonLDAP::NG', port: llng.nginx.port, throughGateway: false };
    const serverPids = [...stack.bench.serverPids, llng.pid, llng.nginx.pid];
    const auth = { F: [stack.bench.gateway.pid, stack.bench.redis.pid], L: [llng.pid] };
    const modes = {} as Record<SessionMode, LemonldapModeResult>;
    for (const mode of Object.keys(MODES) as SessionMode[]) {
      const benches = {
        F: { ...stack.bench, serverPids, ...(mode === 'single' ? { cookieFile: singleGatehouseCookie(stack) } : {}) },
        L: { ...stack.bench, serverPids, cookieFile: mode === 'single' ? llng.singleCookieFile : llng.cookieFile },
      };
      const scenarios = { F, L };
      for (const side of ['F', 'L'] as const) await measure(benches[side], scenarios[side], profile.warmupS);
      const runs: Record<'F' | 'L', Array<Measurement & { authCpuUs: number }>> = { F: [], L: [] };
      for (let round = 1; round <= profile.rounds; round++) {
        for (const side of round % 2 === 1 ? (['F', 'L'] as const) : (['L', 'F'] as const)) {
          const m = await measureAuth(benches[side], scenarios[side], profile.runS, auth[side]);
          // Gatehouse must answer every check. The peer, saturated by 64 connections on one core,
          // has answered a handful of error pages in a run (4 of 2 544, nginx in front of a full
          // FastCGI queue): up to 1 % is kept, counted in the results (`non2xx`) and logged; each
          // is a cheap answer, so it can only make the peer's CPU per request look lower.
          const allowed = side === 'L' ? Math.floor(m.wrk.requests / 100) : 0;
          if (m.wrk.non2xx > allowed) throw new Error(`${side} (${mode} session) answered ${m.wrk.non2xx} non-2xx responses of ${m.wrk.requests}`);
          if (m.wrk.non2xx > 0) log(`LemonLDAP::NG round ${round} ${side} (${mode}): ${m.wrk.non2xx} non-2xx of ${m.wrk.requests} (kept: under 1 %)`);
          runs[side].push(m);
          log(`LemonLDAP::NG round ${round} ${side} (${mode}): ${Math.round(m.wrk.rps)} req/s, auth ${m.authCpuUs.toFixed(1)} µs/req, all ${m.serverCpuUs.toFixed(1)} µs/req`);
        }
      }
      const f = withAuth(runs.F);
      const l = withAuth(runs.L);
      modes[mode] = {
        description: MODES[mode],
        F: f,
        L: l,
        auth_request_vs_lemonldap_by_cpu: f.authCpuUs / l.authCpuUs,
        auth_request_vs_lemonldap_by_server_cpu: f.serverCpuUs / l.serverCpuUs,
        lemonldap_vs_auth_request: l.rps / f.rps,
      };
    }
    const llngPids = fastcgiProcesses(llng.pid, processTable());
    // A worker replaced during a run would take its CPU time with it: say so rather than undercount.
    if (llngPids.length - 1 !== llng.workers) log(`LemonLDAP::NG: WARNING: ${llngPids.length - 1} workers after the runs, ${llng.workers} before: L's CPU may be undercounted`);
    const llngMemory = llngPids.map(residentMb);
    return {
      version: packageVersion('lemonldap-ng-fastcgi-server'),
      workers: llng.workers,
      sessions,
      modes,
      memory: {
        gatehouse: residentMb(stack.bench.gateway.pid),
        lemonldap: {
          rssMb: llngMemory.reduce((n, m) => n + m.rssMb, 0),
          pssMb: llngMemory.reduce((n, m) => n + m.pssMb, 0),
          processes: llngPids.length,
        },
      },
    };
  } finally {
    await llng.stop();
  }
}

function withAuth(runs: ReadonlyArray<Measurement & { authCpuUs: number }>): AuthSummary {
  return { ...summarize(runs), authCpuUs: median(runs.map((r) => r.authCpuUs)) };
}

/** The stack's first Gatehouse session alone, for F in the single-session mode. */
function singleGatehouseCookie(stack: Stack): string {
  const file = join(stack.dir, 'cookies-single.txt');
  if (!existsSync(file)) writeFileSync(file, `${readFileSync(stack.bench.cookieFile, 'utf8').split('\n')[0]}\n`);
  return file;
}

function packageVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout : 'unknown';
}
