/**
 * `npx tsx bench/compare.ts BASE [HEAD] [--quick] [--scenarios D,E,H] [--rounds N] [--sessions N]`: the gateway
 * at two commits in one run, against the same Redis, upstream and sessions, alternating run by
 * run: D (proxy), E (forward-auth) and G (302) unless --scenarios names others. A scenario that
 * does not go through the gateway (H, the bare Node proxy) runs on both sides alike, so that D
 * can be read against it in the same conditions (H's CPU µs over D's, per side). How
 * BENCHMARKS.md gets before/after figures for a hot-path change. HEAD defaults to HEAD; each
 * commit is checked out in a temporary git worktree, so uncommitted work in this tree is not
 * measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../server/testing/free-port.js';
import { checkout, removeCheckout } from './checkouts.js';
import { pinProcess, planCores } from './cores.js';
import { writeGatewayConfig } from './fixtures.js';
import { buildGateway, startGateway } from './gateway-child.js';
import { measure, summarize, type Bench, type Measurement } from './measure.js';
import type { ScenarioKey } from './scenarios.js';
import { startStack } from './stack.js';
import { ensureTools } from './tools.js';

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const option = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const keys = (option('--scenarios') ?? 'D,E,G').split(',') as ScenarioKey[];
  const roundsOption = option('--rounds');
  // Fewer sessions keep every one in the gateway's cache when a busy machine lets it serve only
  // a few hundred requests a second (1000 sessions at that rate make half the reads cold).
  const sessions = Number(option('--sessions') ?? 1000);
  const [baseRef, headRef = 'HEAD'] = argv.filter((a, i) => !a.startsWith('--') && !['--scenarios', '--rounds', '--sessions'].includes(argv[i - 1] ?? ''));
  if (!baseRef) throw new Error('usage: tsx bench/compare.ts BASE [HEAD] [--quick]');
  ensureTools(log);
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const parent = mkdtempSync(join(tmpdir(), 'gatehouse-compare-'));
  const trees = [checkout(baseRef, parent), checkout(headRef, parent)] as const;
  const [base, head] = trees;
  try {
    const stack = await startStack(plan, { sessions, connections: 64, gatewayRoot: head.root, log });
    try {
      const configFile = join(stack.dir, 'base.yml');
      writeGatewayConfig(configFile, { port: await getFreePort(), redisUrl: stack.bench.redis.url, usersFile: stack.files.usersFile, upstreamPort: stack.files.upstreamPort });
      const baseGateway = await startGateway(plan, { bundle: await buildGateway(base.root), configFile, logFile: join(stack.dir, 'base.log') });
      try {
        const serverPids = [...stack.bench.serverPids, baseGateway.pid];
        const benches: Record<'base' | 'head', Bench> = { head: { ...stack.bench, serverPids }, base: { ...stack.bench, gateway: baseGateway, serverPids } };
        const ports = { head: stack.bench.gateway.port, base: baseGateway.port };
        const [warm, seconds, defaultRounds] = quick ? [1, 2, 1] : [5, 10, 3];
        const rounds = roundsOption ? Number(roundsOption) : defaultRounds;
        const runs = new Map<string, Measurement[]>();
        // Only the gateway's scenarios differ between the sides; the others keep their own port.
        const scenarioOf = (key: ScenarioKey, side: 'base' | 'head') => {
          const scenario = stack.scenario(key);
          return scenario.port === stack.bench.gateway.port ? { ...scenario, port: ports[side] } : scenario;
        };
        for (const key of keys) for (const side of ['base', 'head'] as const) await measure(benches[side], scenarioOf(key, side), warm);
        for (let round = 1; round <= rounds; round++) {
          for (const key of keys) {
            for (const side of round % 2 === 1 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
              const m = await measure(benches[side], scenarioOf(key, side), seconds);
              (runs.get(`${key} ${side}`) ?? runs.set(`${key} ${side}`, []).get(`${key} ${side}`)!).push(m);
              log(`round ${round} ${key} ${side}: ${Math.round(m.wrk.rps)} req/s, ${m.serverCpuUs.toFixed(1)} µs CPU/req`);
            }
          }
        }
        process.stdout.write(`\nbefore ${base.commit} → after ${head.commit} (median of ${rounds} × ${seconds} s, alternating)\n`);
        process.stdout.write('scenario  before req/s  after req/s  change  before p50/p99 ms  after p50/p99 ms  CPU µs/req before → after\n');
        for (const key of keys) {
          const b = summarize(runs.get(`${key} base`)!);
          const h = summarize(runs.get(`${key} head`)!);
          const change = `${h.rps >= b.rps ? '+' : ''}${(((h.rps - b.rps) / b.rps) * 100).toFixed(0)} %`;
          process.stdout.write(
            `${key.padEnd(8)}  ${b.rps.toFixed(0).padStart(12)}  ${h.rps.toFixed(0).padStart(11)}  ${change.padStart(6)}  ${`${b.p50Ms.toFixed(2)} / ${b.p99Ms.toFixed(2)}`.padStart(17)}  ${`${h.p50Ms.toFixed(2)} / ${h.p99Ms.toFixed(2)}`.padStart(16)}  ${`${b.serverCpuUs.toFixed(1)} → ${h.serverCpuUs.toFixed(1)}`.padStart(25)}\n`,
          );
        }
        if (keys.includes('D') && keys.includes('H')) {
          const ratio = (side: 'base' | 'head') => summarize(runs.get(`H ${side}`)!).serverCpuUs / summarize(runs.get(`D ${side}`)!).serverCpuUs;
          process.stdout.write(`D against H by CPU (H's µs over D's): before ${ratio('base').toFixed(2)}, after ${ratio('head').toFixed(2)}\n`);
        }
      } finally {
        await baseGateway.stop();
      }
    } finally {
      await stack.stop();
    }
  } finally {
    for (const tree of trees) removeCheckout(tree);
    rmSync(parent, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`compare failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
