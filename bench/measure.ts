import type { CorePlan } from './cores.js';
import type { GatewayChild } from './gateway-child.js';
import type { Scenario } from './scenarios.js';
import { serverCpuSeconds } from './cpu.js';
import { commandsBetween, type BenchRedis } from './servers.js';
import { runWrk, type WrkRun } from './wrk.js';

export interface Measurement {
  wrk: WrkRun;
  /** CPU time the processes under test spent per response, in µs (all of them: proxy, upstream, Redis). */
  serverCpuUs: number;
  /** Redis commands per response (gateway scenarios only). */
  redisPerRequest?: number;
  redisByCommand?: Record<string, number>;
  /** Peak RSS of the gateway during this run (gateway scenarios only). */
  peakRssBytes?: number;
  /** Longest event-loop block of the gateway during this run (gateway scenarios only). */
  eventLoopMaxMs?: number;
  /** The gateway's garbage collections during this run (gateway scenarios only). */
  gc?: { count: number; maxMs: number; totalMs: number };
}

export interface Bench {
  plan: CorePlan;
  tmpDir: string;
  redis: BenchRedis;
  gateway: GatewayChild;
  cookieFile: string;
  connections: number;
  /** Every process under test (nginx masters count their workers), for serverCpuSeconds. */
  serverPids: number[];
  /** Requests the gateway has proxied so far (memory marks count these). */
  proxied: number;
}

/** One wrk run of a scenario, with the gateway's Redis commands, peak RSS and loop delay around it. */
export async function measure(bench: Bench, scenario: Scenario, durationS: number, rate?: number): Promise<Measurement> {
  const { gateway, redis } = bench;
  const before = scenario.throughGateway ? await redis.commandCounts() : undefined;
  const cpuBefore = serverCpuSeconds(bench.serverPids);
  if (scenario.throughGateway) {
    gateway.resetPeak();
    gateway.resetEventLoop();
  }
  const wrk = await runWrk(bench.plan, bench.tmpDir, {
    port: scenario.port,
    host: scenario.host,
    path: scenario.path,
    ...(scenario.headers ? { headers: scenario.headers } : {}),
    ...(scenario.withSessions ? { cookiesFile: bench.cookieFile } : {}),
    durationS,
    connections: bench.connections,
    ...(rate !== undefined ? { rate } : {}),
  });
  const serverCpuUs = wrk.requests > 0 ? ((serverCpuSeconds(bench.serverPids) - cpuBefore) * 1e6) / wrk.requests : NaN;
  if (scenario.proxiedByGateway) bench.proxied += wrk.requests;
  if (!before) return { wrk, serverCpuUs };
  const commands = commandsBetween(before, await redis.commandCounts());
  const stats = await gateway.stats();
  return {
    wrk,
    serverCpuUs,
    redisPerRequest: wrk.requests > 0 ? commands.total / wrk.requests : NaN,
    redisByCommand: commands.byCommand,
    peakRssBytes: gateway.memory().peakBytes,
    eventLoopMaxMs: stats.eventLoopMaxMs,
    gc: { count: stats.gcCount, maxMs: stats.gcMaxMs, totalMs: stats.gcTotalMs },
  };
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  runs: number;
  rps: number;
  /** Slowest and fastest run: far apart means something else took the core meanwhile. */
  rpsMin: number;
  rpsMax: number;
  p50Ms: number;
  p99Ms: number;
  /** Median CPU µs per response of the processes under test: barely moved by other load on the machine. */
  serverCpuUs: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  redisPerRequest?: number;
  peakRssMb?: number;
  eventLoopMaxMs?: number;
}

/** Medians of the runs (req/s, latencies, Redis commands per request); sums of counts; the highest peak RSS. */
export function summarize(runs: readonly Measurement[]): Summary {
  const pick = (f: (m: Measurement) => number | undefined) => runs.map(f).filter((v): v is number => v !== undefined);
  const rss = pick((m) => m.peakRssBytes);
  const redis = pick((m) => m.redisPerRequest);
  const loop = pick((m) => m.eventLoopMaxMs);
  return {
    runs: runs.length,
    rps: median(pick((m) => m.wrk.rps)),
    rpsMin: Math.min(...pick((m) => m.wrk.rps)),
    rpsMax: Math.max(...pick((m) => m.wrk.rps)),
    p50Ms: median(pick((m) => m.wrk.p50Ms)),
    p99Ms: median(pick((m) => m.wrk.p99Ms)),
    serverCpuUs: median(pick((m) => m.serverCpuUs)),
    requests: runs.reduce((n, m) => n + m.wrk.requests, 0),
    non2xx: runs.reduce((n, m) => n + m.wrk.non2xx, 0),
    socketErrors: runs.reduce((n, m) => n + m.wrk.socketErrors, 0),
    ...(redis.length > 0 ? { redisPerRequest: median(redis) } : {}),
    ...(rss.length > 0 ? { peakRssMb: Math.max(...rss) / 2 ** 20 } : {}),
    ...(loop.length > 0 ? { eventLoopMaxMs: Math.max(...loop) } : {}),
  };
}
