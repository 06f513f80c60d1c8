/**
 * `npx tsx bench/storm.ts [THREADS] [--hasher NAME] [--profile owasp|authelia] [--cpu-prof DIR]`:
 * the login storm alone (D at half its maximum, then with 20 sign-ins/s), against a gateway
 * whose libuv thread pool has THREADS threads (default 8, what server/main.ts sets).
 * `--hasher`: where argon2 runs — `workers` (the product), `workers-nice0`, `node-rs`, `argon2`
 * (bench/gateway-process.ts says what each is). `--profile`: the argon2id parameters of the
 * users file and of authentication.password_hash — `owasp` (m=19 MiB, t=2, p=1, the default)
 * or `authelia` (m=64 MiB, t=3, p=4, the default before). `--cpu-prof DIR` writes the gateway's
 * CPU profile there (the profiler slows everything by about half again). Prints the figures, the
 * gateway's garbage collections included; they are not part of results.json.
 */
import { loadavg } from 'node:os';
import { pinProcess, planCores } from './cores.js';
import { measure } from './measure.js';
import { runStorm } from './phases.js';
import { FULL } from './profiles.js';
import { startStack } from './stack.js';
import { ensureTools } from './tools.js';

const PROFILES = {
  owasp: { memory_kib: 19456, iterations: 2, parallelism: 1 },
  authelia: { memory_kib: 65536, iterations: 3, parallelism: 4 },
} as const;

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

async function main(argv: readonly string[]): Promise<void> {
  const positional = argv.filter((arg, i) => !arg.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const threads = Number(positional[0] ?? 8);
  const profileDir = option(argv, '--cpu-prof');
  const hasher = option(argv, '--hasher') ?? 'workers';
  const profileName = option(argv, '--profile') ?? 'owasp';
  const passwordHash = PROFILES[profileName as keyof typeof PROFILES];
  if (!passwordHash) throw new Error(`unknown profile ${profileName} (owasp or authelia)`);
  ensureTools(log);
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const gatewayNodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const stack = await startStack(plan, { sessions: 1000, connections: 64, threadPoolSize: threads, gatewayNodeArgs, hasher, passwordHash, log });
  try {
    const max = await measure(stack.bench, stack.scenario('D'), 5);
    const storm = await runStorm(stack.bench, FULL, stack.scenario('D'), max.wrk.rps / 2, log);
    const gc = (g?: { count: number; maxMs: number; totalMs: number }) => (g ? `${g.count} GCs, longest ${g.maxMs.toFixed(1)} ms, ${g.totalMs.toFixed(0)} ms in all` : 'n/a');
    process.stdout.write(
      `${hasher}, ${profileName}, thread pool ${threads}, load ${loadavg()[0]!.toFixed(1)}: D ${Math.round(storm.quiet.rps)} → ${Math.round(storm.storm.rps)} req/s served, p99 ${storm.quiet.p99Ms.toFixed(1)} → ${storm.storm.p99Ms.toFixed(1)} ms (× ${storm.p99Ratio.toFixed(2)}); ` +
        `event loop max ${storm.quietEventLoopMaxMs.toFixed(0)} → ${storm.eventLoopMaxMs.toFixed(0)} ms; sign-ins ${storm.signIns.signedIn}/${storm.signIns.attempted} (${storm.signIns.achievedPerSecond.toFixed(1)}/s, p50 ${storm.signIns.p50Ms.toFixed(0)} ms, ${storm.signIns.failed} failed: ${JSON.stringify(storm.signIns.failedBy)}); peak RSS ${storm.peakRssMb.toFixed(0)} MB\n` +
        `  GC quiet: ${gc(storm.quietGc)}; storm: ${gc(storm.gc)}\n`,
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
