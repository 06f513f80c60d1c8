/**
 * `npx tsx bench/storm.ts [THREADS]`: the login storm alone (D at half its maximum, then with
 * 20 sign-ins/s), against a gateway whose libuv thread pool has THREADS threads (default 8,
 * what server/main.ts sets). A what-if for bounding concurrent password hashing; the figures
 * are not part of results.json.
 */
import { pinProcess, planCores } from './cores.js';
import { measure } from './measure.js';
import { runStorm } from './phases.js';
import { FULL } from './profiles.js';
import { startStack } from './stack.js';
import { ensureTools } from './tools.js';

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

async function main(argv: readonly string[]): Promise<void> {
  const threads = Number(argv[0] ?? 8);
  ensureTools(log);
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const stack = await startStack(plan, { sessions: 1000, connections: 64, threadPoolSize: threads, log });
  try {
    const max = await measure(stack.bench, stack.scenario('D'), 5);
    const storm = await runStorm(stack.bench, FULL, stack.scenario('D'), max.wrk.rps / 2, log);
    process.stdout.write(
      `thread pool ${threads}: D ${Math.round(storm.quiet.rps)} → ${Math.round(storm.storm.rps)} req/s served, p99 ${storm.quiet.p99Ms.toFixed(1)} → ${storm.storm.p99Ms.toFixed(1)} ms; ` +
        `event loop max ${storm.quietEventLoopMaxMs.toFixed(0)} → ${storm.eventLoopMaxMs.toFixed(0)} ms; sign-ins ${storm.signIns.signedIn}/${storm.signIns.attempted} (${storm.signIns.achievedPerSecond.toFixed(1)}/s); peak RSS ${storm.peakRssMb.toFixed(0)} MB\n`,
    );
  } finally {
    await stack.stop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
