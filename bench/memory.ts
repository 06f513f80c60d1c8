/**
 * `npx tsx bench/memory.ts [--requests N] [--idle-wait S] [--root DIR] [-- NODE_ARGS…]`: where the gateway's
 * resident memory goes (bench/memory-probe.ts), at each step of its life: at rest after
 * start, after N proxied requests (D) and N forward-auth checks (E), after one password
 * sign-in (the hashing worker and the audit worker start), and S seconds later (an idle
 * hashing worker has exited by then). Each step as found and after a full GC. Node arguments
 * after `--` go to the gateway (to compare V8 flags); `--root` runs the gateway of another
 * checkout (its bench/ must have gateway-process.ts and memory-probe.ts of this one). Prints JSON; BENCHMARKS.md ("Where the
 * memory goes") holds the figures. Not part of `npm run bench`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pinProcess, planCores } from './cores.js';
import { STORM_USER } from './fixtures.js';
import type { MemoryBreakdown } from './memory-probe.js';
import { measure } from './measure.js';
import { prepareSignIn } from './portal-sign-in.js';
import { startStack } from './stack.js';

const log = (line: string) => process.stderr.write(`  · ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const split = argv.indexOf('--');
  const { values } = parseArgs({
    args: split < 0 ? argv : argv.slice(0, split),
    options: { requests: { type: 'string', default: '300000' }, 'idle-wait': { type: 'string', default: '70' }, root: { type: 'string' } },
  });
  const requests = Number(values.requests);
  const nodeArgs = split < 0 ? [] : argv.slice(split + 1);
  const plan = planCores();
  pinProcess(plan, process.pid, plan.loadCore);
  const stack = await startStack(plan, {
    sessions: 1000,
    connections: 64,
    withWorkers: false,
    gatewayNodeArgs: nodeArgs,
    ...(values.root ? { gatewayRoot: values.root } : {}),
    log,
  });
  const steps: Array<{ step: string; asFound: MemoryBreakdown; afterGc: MemoryBreakdown; rps?: number; cpuUs?: number }> = [];
  const take = async (step: string, extra: { rps?: number; cpuUs?: number } = {}) => {
    const asFound = await stack.bench.gateway.breakdown(false);
    const afterGc = await stack.bench.gateway.breakdown(true);
    steps.push({ step, asFound, afterGc, ...extra });
    log(`${step}: RSS ${asFound.rssMb} MB, ${afterGc.rssMb} MB after a full GC; ${asFound.threads} threads`);
  };
  try {
    await sleep(1000);
    await take('at rest');
    for (const key of ['D', 'E'] as const) {
      let done = 0;
      let seconds = 0;
      let cpu = 0;
      while (done < requests) {
        const m = await measure(stack.bench, stack.scenario(key), 10);
        done += m.wrk.requests;
        seconds += 10;
        cpu += m.serverCpuUs * m.wrk.requests;
      }
      await take(`after ${done} requests of ${key}`, { rps: Math.round(done / seconds), cpuUs: Math.round(cpu / done) });
    }
    const signIn = await prepareSignIn(stack.scenario('D').port, '198.18.0.1', STORM_USER);
    const answer = await signIn();
    if (answer.status !== 303) throw new Error(`the sign-in answered ${answer.status}`);
    await take('after one sign-in');
    await sleep(Number(values['idle-wait']) * 1000);
    await take(`${values['idle-wait']} s later`);
    process.stdout.write(`${JSON.stringify({ nodeArgs, requests, steps }, null, 2)}\n`);
  } finally {
    await stack.stop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench/memory failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
