/**
 * `npx tsx bench/hash-cost.ts [ROUNDS]`: what one argon2id verification costs, in CPU and wall
 * time, with each library (`argon2` on libuv's thread pool, `@node-rs/argon2` synchronously on
 * the calling thread) and each parameter profile. Run it pinned to one core (`taskset -c 1`):
 * the figures are what one core does, as in the login storm.
 */
import { hashSync as rsHashSync, verifySync as rsVerifySync } from '@node-rs/argon2';
import { argon2id, hash as cHash, verify as cVerify } from 'argon2';

const PROFILES = {
  'authelia m=64MiB t=3 p=4': { memoryCost: 65536, timeCost: 3, parallelism: 4 },
  'owasp m=19MiB t=2 p=1': { memoryCost: 19456, timeCost: 2, parallelism: 1 },
  'owasp m=12MiB t=3 p=1': { memoryCost: 12288, timeCost: 3, parallelism: 1 },
} as const;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function time(label: string, rounds: number, run: () => unknown): Promise<void> {
  await run();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await run();
  const wall = (performance.now() - t0) / rounds;
  const cpu = (cpuMs() - cpu0) / rounds;
  process.stdout.write(`${label.padEnd(48)} wall ${wall.toFixed(1).padStart(6)} ms   cpu ${cpu.toFixed(1).padStart(6)} ms\n`);
}

async function main(rounds: number): Promise<void> {
  for (const [name, p] of Object.entries(PROFILES)) {
    const stored = await cHash('correct horse', { type: argon2id, ...p });
    await time(`argon2 (libuv pool)        ${name}`, rounds, () => cVerify(stored, 'correct horse'));
    const rsStored = rsHashSync('correct horse', { algorithm: 2, ...p });
    await time(`@node-rs/argon2 (sync)     ${name}`, rounds, () => rsVerifySync(rsStored, 'correct horse'));
    // The same string verifies with either library: hashes port both ways.
    if (!rsVerifySync(stored, 'correct horse') || !(await cVerify(rsStored, 'correct horse'))) throw new Error('hashes do not port');
  }
}

main(Number(process.argv[2] ?? 10)).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
