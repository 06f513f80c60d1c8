/**
 * `npx tsx bench/guessing-burst.ts [BASE] [HEAD] [--rounds N]`: an honest password sign-in
 * alone, and during a burst of 50 parallel wrong passwords from three other addresses, against
 * the gateway at two commits (BASE default `main`, HEAD default `HEAD`) in one run, alternating
 * round by round. Reports the honest sign-in's POST /login latency (median) alone and during
 * the burst, and their ratio for each side: the figure in BENCHMARKS.md. Each commit is checked
 * out in a temporary git worktree, so uncommitted work is not measured. Not part of `npm run
 * bench` or CI.
 *
 * The gateway runs as `gatehouse serve` would, with the product's defaults (argon2id m=64 MiB,
 * t=3, p=4; regulation and password_checks defaults), pinned to one core like the other
 * scenarios. Client addresses come from X-Forwarded-For (the bench config trusts 127.0.0.1), a
 * fresh set each round so no ban carries over; the guesses name users that do not exist (name
 * spraying: each costs the dummy hash).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../server/testing/free-port.js';
import type { TestResponse } from '../server/testing/http-client.js';
import { checkout, removeCheckout, type Checkout } from './checkouts.js';
import { pinProcess, planCores } from './cores.js';
import { STORM_USER, writeGatewayConfig, writeUsersFile } from './fixtures.js';
import { buildGateway, startGateway, type GatewayChild } from './gateway-child.js';
import { prepareSignIn } from './portal-sign-in.js';
import { startBenchRedis } from './servers.js';

const log = (line: string) => process.stderr.write(`  · ${line}\n`);
const BURST = 50;
const GUESSING_ADDRESSES = 3;
/** Honest sign-ins measured alone per round, one after another. */
const ALONE_PER_ROUND = 3;
/** Time for the burst's requests to reach the gateway's queue before the honest one is sent. */
const HEAD_START_MS = 300;

type Side = 'before' | 'after';

/** The honest sign-in's POST, timed; it must succeed. */
async function timedHonest(post: () => Promise<TestResponse>): Promise<number> {
  const started = performance.now();
  const response = await post();
  const ms = performance.now() - started;
  if (response.status !== 303) throw new Error(`the honest sign-in answered ${response.status}`);
  return ms;
}

let addressCounter = 0;
/** A client address never used before in this run (198.18.0.0/15, the benchmarking range). */
const freshAddress = () => {
  addressCounter++;
  return `198.18.${addressCounter >> 8}.${addressCounter & 255}`;
};

async function measureAlone(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < ALONE_PER_ROUND; i++) times.push(await timedHonest(await prepareSignIn(port, freshAddress(), STORM_USER)));
  return times;
}

async function measureDuringBurst(port: number, round: number): Promise<{ ms: number; statuses: Record<number, number> }> {
  const guessers = Array.from({ length: GUESSING_ADDRESSES }, freshAddress);
  const guesses = await Promise.all(
    Array.from({ length: BURST }, (_, i) => prepareSignIn(port, guessers[i % guessers.length]!, { username: `sprayed-${round}-${i}`, password: `guess-${i}` })),
  );
  const honest = await prepareSignIn(port, freshAddress(), STORM_USER);
  const burst = Promise.all(guesses.map((post) => post()));
  await new Promise((resolve) => setTimeout(resolve, HEAD_START_MS));
  const ms = await timedHonest(honest);
  const statuses: Record<number, number> = {};
  for (const answer of await burst) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  return { ms, statuses };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(argv: string[]): Promise<void> {
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt === -1 ? 3 : Number(argv[roundsAt + 1]);
  const refs = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--rounds');
  const [baseRef = 'main', headRef = 'HEAD'] = refs;
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const parent = mkdtempSync(join(tmpdir(), 'gatehouse-burst-'));
  const trees: Record<Side, Checkout> = { before: checkout(baseRef, parent), after: checkout(headRef, parent) };
  const stops: Array<() => Promise<void>> = [];
  try {
    const redis = await startBenchRedis(plan);
    stops.push(() => redis.close());
    const usersFile = join(parent, 'users.yml');
    await writeUsersFile(usersFile);
    const gateways = {} as Record<Side, GatewayChild>;
    for (const side of ['before', 'after'] as const) {
      const configFile = join(parent, `${side}.yml`);
      writeGatewayConfig(configFile, { port: await getFreePort(), redisUrl: redis.url, usersFile, upstreamPort: await getFreePort() });
      gateways[side] = await startGateway(plan, { bundle: await buildGateway(trees[side].root), configFile, logFile: join(parent, `${side}.log`) });
      stops.push(() => gateways[side].stop());
      log(`${side}: ${trees[side].commit}, gateway pid ${gateways[side].pid} on port ${gateways[side].port}`);
    }
    // Warm-up: the first sign-in of each gateway loads what it loads lazily.
    for (const side of ['before', 'after'] as const) await measureAlone(gateways[side].port);

    // Per round: the median alone and the one sign-in during the burst, measured back to back,
    // so that the ratio of a round is taken under one load even when the machine's load drifts.
    const runs: Record<Side, Array<{ alone: number; during: number }>> = { before: [], after: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const side of round % 2 === 1 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
        const port = gateways[side].port;
        const alone = await measureAlone(port);
        const burst = await measureDuringBurst(port, round);
        runs[side].push({ alone: median(alone), during: burst.ms });
        log(
          `round ${round} ${side}: alone ${alone.map((ms) => ms.toFixed(0)).join(' / ')} ms, during the burst ${burst.ms.toFixed(0)} ms (× ${(burst.ms / median(alone)).toFixed(1)}); burst answers ${JSON.stringify(burst.statuses)}`,
        );
      }
    }
    process.stdout.write(`\nhonest sign-in (POST /login), median of ${rounds} rounds; burst: ${BURST} parallel wrong passwords from ${GUESSING_ADDRESSES} addresses\n`);
    process.stdout.write('side    commit    alone ms  during burst ms  ratio (median of the rounds)  each round\n');
    for (const side of ['before', 'after'] as const) {
      const ratios = runs[side].map((r) => r.during / r.alone);
      const line = [
        side.padEnd(6),
        trees[side].commit.padEnd(8),
        median(runs[side].map((r) => r.alone))
          .toFixed(0)
          .padStart(8),
        median(runs[side].map((r) => r.during))
          .toFixed(0)
          .padStart(15),
        median(ratios).toFixed(1).padStart(29),
        ratios.map((x) => x.toFixed(1)).join(' / '),
      ];
      process.stdout.write(`${line.join('  ')}\n`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`stopping: ${String(error)}`));
    for (const tree of Object.values(trees)) removeCheckout(tree);
    rmSync(parent, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`guessing-burst failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
