/**
 * `npx tsx bench/profile.ts D [seconds]`: one scenario at full load against a gateway started
 * with --cpu-prof; prints the functions with the most self time and leaves the .cpuprofile.
 * For finding what to make faster; numbers from it are not benchmark results.
 */
import { readdirSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinProcess, planCores } from './cores.js';
import { measure } from './measure.js';
import type { ScenarioKey } from './scenarios.js';
import { startStack } from './stack.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

async function main(argv: readonly string[]): Promise<void> {
  const key = (argv[0] ?? 'D') as ScenarioKey;
  const seconds = Number(argv[1] ?? 5);
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const profileDir = join(process.cwd(), 'bench', '.build', 'profiles');
  const stack = await startStack(plan, { sessions: 1000, connections: 64, gatewayNodeArgs: [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`], log });
  let file: string | undefined;
  try {
    await measure(stack.bench, stack.scenario(key), 2);
    const m = await measure(stack.bench, stack.scenario(key), seconds);
    log(`${key}: ${Math.round(m.wrk.rps)} req/s (profiling slows it)`);
  } finally {
    await stack.stop();
    const files = readdirSync(profileDir)
      .filter((f) => f.startsWith('CPU.') && f.endsWith('.cpuprofile'))
      .sort();
    file = files.at(-1) && join(profileDir, files.at(-1)!);
  }
  if (!file) throw new Error('no profile written');
  copyFileSync(file, join(profileDir, `latest-${key}.cpuprofile`));
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/bench\/\.build\//, '')}:${lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0));
  }
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  process.stdout.write(`profile: ${file}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
