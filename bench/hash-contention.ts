/**
 * `npx tsx bench/hash-contention.ts [ROUNDS] [SECONDS]`: what 20 password checks a second do to
 * an event loop that shares one core with them, for each way of hashing, side by side in one
 * process. The machine this runs on is shared and its load swings by the minute, so the
 * variants alternate round by round (A B C D E, A B C D E, …) and the medians are compared.
 *
 * The event loop carries a paced load like a proxy at half its capacity: every millisecond a
 * timer burns 0.5 ms of CPU. Its lateness (how long after its due time each tick ran) is the
 * proxy's added latency; its longest lateness the longest block. The checks are started on a
 * timer whatever the answers, as the login storm does. Run pinned to one core:
 * `taskset -c 1 npx tsx bench/hash-contention.ts`.
 */
import { loadavg } from 'node:os';
import { argon2id, hash as argon2Hash, verify as argon2Verify } from 'argon2';
import { createHashWorkerPool } from '../server/directory/hash-workers.js';
import { DIRECT_HASHER, type Argon2idParameters, type PasswordHasher } from '../server/directory/password-hash.js';

const OWASP: Argon2idParameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const AUTHELIA: Argon2idParameters = { memoryCost: 65536, timeCost: 3, parallelism: 4 };
const CHECKS_PER_SECOND = 20;

const argon2Package: PasswordHasher = {
  hash: (password, parameters) => argon2Hash(password, { type: argon2id, ...parameters }),
  verify: (hash, password) => argon2Verify(hash, password),
};

interface Variant {
  name: string;
  hasher: PasswordHasher;
  parameters: Argon2idParameters;
  /** Checks at once, as the hash queue allows on this machine (all cores but one). */
  concurrency: number;
}

interface Round {
  lateP50: number;
  lateP99: number;
  lateMax: number;
  ticks: number;
  checksDone: number;
  checkP50: number;
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // The proxy's CPU work for this tick.
  }
}

async function runRound(variant: Variant, stored: string, seconds: number): Promise<Round> {
  const lateness: number[] = [];
  const checkTimes: number[] = [];
  let waiting = 0;
  let running = 0;
  const queue: Array<() => void> = [];
  const started = performance.now();
  const end = started + seconds * 1000;

  const check = async () => {
    const t0 = performance.now();
    if (running >= variant.concurrency) {
      waiting++;
      await new Promise<void>((resolve) => queue.push(resolve));
      waiting--;
    }
    running++;
    try {
      if ((await variant.hasher.verify(stored, 'correct horse')) !== true) throw new Error('the right password did not verify');
      if (performance.now() < end) checkTimes.push(performance.now() - t0);
    } finally {
      running--;
      queue.shift()?.();
    }
  };

  await new Promise<void>((resolve) => {
    let due = performance.now() + 1;
    const tick = () => {
      const now = performance.now();
      lateness.push(now - due);
      burn(0.5);
      if (now >= end) return resolve();
      due += 1;
      // Catch up without a burst after a long block: the next tick is due a millisecond from now at the latest.
      if (due < now) due = now + 1;
      setTimeout(tick, Math.max(0, due - performance.now()));
    };
    setTimeout(tick, 1);
    // Concurrency 0: the loop alone, no checks offered.
    if (variant.concurrency === 0) return;
    const checks = setInterval(() => {
      if (performance.now() >= end) return clearInterval(checks);
      void check();
    }, 1000 / CHECKS_PER_SECOND);
  });
  // Let the checks under way finish before the next variant's round (they would load its core).
  while (running > 0 || waiting > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const sorted = lateness.sort((a, b) => a - b);
  return {
    lateP50: percentile(sorted, 0.5),
    lateP99: percentile(sorted, 0.99),
    lateMax: sorted.at(-1) ?? NaN,
    ticks: sorted.length,
    checksDone: checkTimes.length / seconds,
    checkP50: median(checkTimes),
  };
}

async function main(rounds: number, seconds: number): Promise<void> {
  const pools = [createHashWorkerPool({ size: 1, niceness: 0 }), createHashWorkerPool({ size: 1, niceness: 10 }), createHashWorkerPool({ size: 1, niceness: 19 })];
  const variants: Variant[] = [
    { name: 'none (the loop alone)', hasher: DIRECT_HASHER, parameters: OWASP, concurrency: 0 },
    { name: 'argon2, libuv pool, m=64 MiB t=3 p=4 (before)', hasher: argon2Package, parameters: AUTHELIA, concurrency: 1 },
    { name: 'argon2, libuv pool, OWASP', hasher: argon2Package, parameters: OWASP, concurrency: 1 },
    { name: '@node-rs/argon2, libuv pool, OWASP', hasher: DIRECT_HASHER, parameters: OWASP, concurrency: 1 },
    { name: '@node-rs/argon2, worker nice 0, OWASP', hasher: pools[0]!, parameters: OWASP, concurrency: 1 },
    { name: '@node-rs/argon2, worker nice 10, OWASP', hasher: pools[1]!, parameters: OWASP, concurrency: 1 },
    { name: '@node-rs/argon2, worker nice 19, OWASP', hasher: pools[2]!, parameters: OWASP, concurrency: 1 },
  ];
  const stored = new Map<Variant, string>();
  for (const variant of variants) stored.set(variant, await variant.hasher.hash('correct horse', variant.parameters));
  const results = new Map<Variant, Round[]>(variants.map((v) => [v, []]));
  const load = [loadavg()[0]!];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      const r = await runRound(variant, stored.get(variant)!, seconds);
      results.get(variant)!.push(r);
      process.stderr.write(`  · round ${round} ${variant.name}: late p99 ${r.lateP99.toFixed(1)} ms, max ${r.lateMax.toFixed(0)} ms, checks ${r.checksDone.toFixed(1)}/s\n`);
    }
    load.push(loadavg()[0]!);
  }
  await Promise.all(pools.map((pool) => pool.close()));
  const base = results.get(variants[0]!)!;
  process.stdout.write(
    `${rounds} rounds × ${seconds} s, ${CHECKS_PER_SECOND} checks/s offered, load average ${load.map((l) => l.toFixed(1)).join(' → ')}\n` +
      `${'variant'.padEnd(48)} ${'late p50'.padStart(9)} ${'late p99'.padStart(9)} ${'p99 ×'.padStart(6)} ${'late max'.padStart(9)} ${'checks/s'.padStart(9)} ${'check p50'.padStart(10)}\n`,
  );
  for (const variant of variants) {
    const rs = results.get(variant)!;
    // Per-round ratio against the loop alone in the same round, then the median of those.
    const p99Ratio = median(rs.map((r, i) => r.lateP99 / Math.max(0.05, base[i]!.lateP99)));
    process.stdout.write(
      `${variant.name.padEnd(48)} ${median(rs.map((r) => r.lateP50))
        .toFixed(2)
        .padStart(9)} ${median(rs.map((r) => r.lateP99))
        .toFixed(2)
        .padStart(9)} ${p99Ratio.toFixed(1).padStart(6)} ` +
        `${median(rs.map((r) => r.lateMax))
          .toFixed(0)
          .padStart(9)} ${median(rs.map((r) => r.checksDone))
          .toFixed(1)
          .padStart(9)} ${median(rs.map((r) => r.checkP50))
          .toFixed(0)
          .padStart(10)}\n`,
    );
  }
}

main(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 6)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
