import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { send } from '../server/testing/http-client.js';
import { APP_HOST, PORTAL_HOST, WIKI_HOST } from './fixtures.js';
import { startLoginStorm, type StormResult } from './login-storm.js';
import { measure, summarize, type Bench, type Measurement, type Summary } from './measure.js';
import type { Profile } from './profiles.js';
import { PAGE_PATH, type Scenario, type ScenarioKey } from './scenarios.js';
import { commandsBetween } from './servers.js';

type Log = (line: string) => void;

/** Fails the bench before measuring if a scenario does not answer what it should: a fast 403 is no result. */
export async function checkScenarios(
  bench: Bench,
  ports: Record<'upstream' | 'nginxProxy' | 'gateway' | 'authRequest' | 'bareProxy', number> & { workersGateway?: number },
): Promise<void> {
  const cookie = readFileSync(bench.cookieFile, 'utf8').split('\n')[0]!;
  const expect = async (
    what: string,
    status: number,
    response: Promise<{ status: number; headers: Record<string, unknown>; body: string }>,
    check?: (r: { headers: Record<string, unknown>; body: string }) => boolean,
  ) => {
    const r = await response;
    if (r.status !== status || (check && !check(r))) throw new Error(`sanity check failed: ${what} answered ${r.status}`);
  };
  const page = (r: { body: string }) => r.body.length === 4096;
  await expect('A upstream', 200, send({ port: ports.upstream, path: PAGE_PATH, host: APP_HOST }), page);
  await expect('B nginx proxy', 200, send({ port: ports.nginxProxy, path: PAGE_PATH, host: APP_HOST }), page);
  await expect('H bare proxy', 200, send({ port: ports.bareProxy, path: PAGE_PATH, host: APP_HOST }), page);
  await expect('D gateway proxy', 200, send({ port: ports.gateway, path: PAGE_PATH, host: APP_HOST, headers: { cookie } }), page);
  if (ports.workersGateway !== undefined)
    await expect('W gateway proxy, workers: 2', 200, send({ port: ports.workersGateway, path: PAGE_PATH, host: APP_HOST, headers: { cookie } }), page);
  await expect('G gateway without session', 302, send({ port: ports.gateway, path: PAGE_PATH, host: APP_HOST }), (r) =>
    String(r.headers.location).startsWith(`http://${PORTAL_HOST}/?rd=`),
  );
  const forwardAuth = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': WIKI_HOST, 'x-forwarded-uri': PAGE_PATH, cookie };
  await expect(
    'E forward-auth',
    200,
    send({ port: ports.gateway, path: '/api/authz/forward-auth', host: PORTAL_HOST, headers: forwardAuth }),
    (r) => typeof r.headers['remote-user'] === 'string',
  );
  await expect('F nginx auth_request', 200, send({ port: ports.authRequest, path: PAGE_PATH, host: WIKI_HOST, headers: { cookie } }), page);
  await expect('F nginx auth_request without session', 302, send({ port: ports.authRequest, path: PAGE_PATH, host: WIKI_HOST }));
}

/**
 * Every session once, on a gateway that has read none of them: the Redis commands a cold
 * cache costs per proxied request.
 */
export async function measureColdCache(
  bench: Bench,
  scenario: Scenario,
): Promise<{ requests: number; redisPerRequest: number; byCommand: Record<string, number>; failures: number }> {
  const cookies = readFileSync(bench.cookieFile, 'utf8').split('\n').filter(Boolean);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const before = await bench.redis.commandCounts();
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < cookies.length) {
      const cookie = cookies[next++]!;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: scenario.port, path: scenario.path, headers: { host: scenario.host, cookie }, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      if (status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  agent.destroy();
  bench.proxied += cookies.length;
  const commands = commandsBetween(before, await bench.redis.commandCounts());
  return { requests: cookies.length, redisPerRequest: commands.total / cookies.length, byCommand: commands.byCommand, failures };
}

/** Scenarios in rounds (A..G, A..G, …) so that a burst of background load spreads over all of them. */
export async function runScenarios(bench: Bench, profile: Profile, scenarios: readonly Scenario[], log: Log): Promise<Map<ScenarioKey, Summary>> {
  const runs = new Map<ScenarioKey, Measurement[]>(scenarios.map((s) => [s.key, []]));
  for (const scenario of scenarios) {
    log(`warm-up ${scenario.key} (${profile.warmupS} s)`);
    await measure(bench, scenario, profile.warmupS);
  }
  for (let round = 1; round <= profile.rounds; round++) {
    for (const scenario of scenarios) {
      const m = await measure(bench, scenario, profile.runS);
      runs.get(scenario.key)!.push(m);
      log(
        `round ${round} ${scenario.key}: ${Math.round(m.wrk.rps)} req/s, p99 ${m.wrk.p99Ms.toFixed(2)} ms${m.redisPerRequest !== undefined ? `, redis ${m.redisPerRequest.toFixed(4)}/req` : ''}`,
      );
    }
  }
  return new Map([...runs].map(([key, list]) => [key, summarize(list)]));
}

export interface FixedRateResult {
  /** Half of B's maximum, as the issue asks. */
  rate: number;
  nginx: Summary;
  gateway: Summary;
  /** D at half of its own maximum, where it is not overloaded. */
  ownHalfRate: number;
  gatewayAtOwnHalf: Summary;
}

/**
 * B and D at the same fixed rate (half of B's maximum), alternating; then D at half of its own
 * maximum. When half of B is more than D can serve, D's latency there is queueing: the second
 * figure shows its latency under a load it can carry.
 */
export async function runFixedRate(
  bench: Bench,
  profile: Profile,
  nginx: Scenario,
  gateway: Scenario,
  rates: { half: number; ownHalf: number },
  log: Log,
): Promise<FixedRateResult> {
  const b: Measurement[] = [];
  const d: Measurement[] = [];
  const own: Measurement[] = [];
  for (let round = 1; round <= profile.fixedRateRounds; round++) {
    b.push(await measure(bench, nginx, profile.fixedRateS, rates.half));
    d.push(await measure(bench, gateway, profile.fixedRateS, rates.half));
    own.push(await measure(bench, gateway, profile.fixedRateS, rates.ownHalf));
    log(
      `fixed rate round ${round}: at ${Math.round(rates.half)}/s B p99 ${b.at(-1)!.wrk.p99Ms.toFixed(2)} ms, D p99 ${d.at(-1)!.wrk.p99Ms.toFixed(2)} ms (${Math.round(d.at(-1)!.wrk.rps)}/s); D at ${Math.round(rates.ownHalf)}/s p99 ${own.at(-1)!.wrk.p99Ms.toFixed(2)} ms`,
    );
  }
  return { rate: rates.half, nginx: summarize(b), gateway: summarize(d), ownHalfRate: rates.ownHalf, gatewayAtOwnHalf: summarize(own) };
}

export interface MemoryResult {
  /**
   * At each mark: RSS and heap as they are (wherever the GC happens to be), then after a full
   * GC forced through the bench's IPC channel: what the gateway actually retains.
   */
  marks: Array<{ proxiedRequests: number; rssMb: number; heapUsedMb: number; rssAfterGcMb: number; heapAfterGcMb: number }>;
  /** Growth of the retained RSS (after GC) from the first mark to the second. */
  growth: number;
  /** Growth of the RSS as found, which swings with the GC's timing by tens of MB. */
  growthAsFound: number;
}

/** D at full speed until the gateway has proxied each mark's number of requests; RSS at each. */
export async function runMemory(bench: Bench, profile: Profile, gateway: Scenario, log: Log, rpsHint: number): Promise<MemoryResult> {
  const marks: MemoryResult['marks'] = [];
  let rps = Math.max(rpsHint, 500);
  // The full run counts from the gateway's start (1 M, 2 M); the quick one from here, since the
  // phases before it have already proxied more than its small marks.
  const base = profile.name === 'quick' ? bench.proxied : 0;
  for (const mark of profile.memoryMarks.map((m) => base + m)) {
    while (bench.proxied < mark) {
      const seconds = Math.min(30, Math.max(1, Math.ceil((mark - bench.proxied) / rps)));
      const m = await measure(bench, gateway, seconds);
      rps = Math.max(m.wrk.rps, 500);
      if (m.wrk.requests === 0) throw new Error('the gateway answered nothing during the memory run');
    }
    const stats = await bench.gateway.stats();
    const rssMb = bench.gateway.memory().rssBytes / 2 ** 20;
    const afterGc = await bench.gateway.collectGarbage();
    marks.push({
      proxiedRequests: bench.proxied,
      rssMb,
      heapUsedMb: stats.heapUsedBytes / 2 ** 20,
      rssAfterGcMb: bench.gateway.memory().rssBytes / 2 ** 20,
      heapAfterGcMb: afterGc.heapUsedBytes / 2 ** 20,
    });
    log(`after ${bench.proxied} proxied requests: RSS ${rssMb.toFixed(1)} MB, ${marks.at(-1)!.rssAfterGcMb.toFixed(1)} MB after a full GC`);
  }
  const [first, second] = marks;
  const growth = (a?: number, b?: number) => (a !== undefined && b !== undefined ? (b - a) / a : NaN);
  return { marks, growth: growth(first?.rssAfterGcMb, second?.rssAfterGcMb), growthAsFound: growth(first?.rssMb, second?.rssMb) };
}

export interface StormPhase {
  rate: number;
  quiet: Summary;
  storm: Summary;
  signIns: StormResult;
  p99Ratio: number;
  eventLoopMaxMs: number;
  quietEventLoopMaxMs: number;
  /** The gateway's collections during the storm run, and during the quiet run before it. */
  gc?: Measurement['gc'];
  quietGc?: Measurement['gc'];
  peakRssMb: number;
}

/**
 * D at a fixed rate it can carry (half its maximum), first alone, then with password sign-ins
 * at profile.stormPerSecond through the real portal form.
 */
export async function runStorm(bench: Bench, profile: Profile, gateway: Scenario, rate: number, log: Log): Promise<StormPhase> {
  const quietRun = await measure(bench, gateway, profile.stormS, rate);
  log(`storm baseline: D at ${Math.round(rate)}/s p99 ${quietRun.wrk.p99Ms.toFixed(2)} ms`);
  const storm = startLoginStorm({ port: gateway.port, perSecond: profile.stormPerSecond });
  let stormRun: Measurement;
  let signIns: StormResult;
  try {
    stormRun = await measure(bench, gateway, profile.stormS, rate);
  } finally {
    signIns = storm.stop();
  }
  log(`storm: D p99 ${stormRun.wrk.p99Ms.toFixed(2)} ms; ${signIns.signedIn}/${signIns.attempted} sign-ins done (${signIns.unfinished} still running)`);
  // Sign-ins still queued keep the gateway busy; let them finish before anything else is measured.
  await storm.drained(profile.name === 'full' ? 120_000 : 3_000);
  const quiet = summarize([quietRun]);
  const loud = summarize([stormRun]);
  return {
    rate,
    quiet,
    storm: loud,
    signIns,
    p99Ratio: loud.p99Ms / quiet.p99Ms,
    eventLoopMaxMs: stormRun.eventLoopMaxMs ?? NaN,
    quietEventLoopMaxMs: quietRun.eventLoopMaxMs ?? NaN,
    ...(stormRun.gc ? { gc: stormRun.gc } : {}),
    ...(quietRun.gc ? { quietGc: quietRun.gc } : {}),
    peakRssMb: (stormRun.peakRssBytes ?? NaN) / 2 ** 20,
  };
}
