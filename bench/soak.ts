/**
 * `npm run soak [-- --minutes 30 --rate N --workers 2 --samples FILE]`: the gateway at half its capacity for
 * a long while, with nothing lost and memory flat (issue 17; not in CI, RELIABILITY.md holds
 * its figures). Starts Redis, an upstream that echoes who the gateway said the user is, and
 * `gatehouse serve` (with `--workers` processes); measures what the stack carries with this
 * client (unless `--rate` is given), then sends half of it, as an open loop, for `--minutes`:
 * signed-in users' pages through the proxy, forward-auth checks, anonymous and forged-cookie
 * redirects, a forbidden admin page, a public page with a forged identity header, and a few
 * password sign-ins a minute. RSS of every gateway process (from /proc) and its heap (from
 * /metrics) are sampled every few seconds. A line a minute; at the end, the figures and a
 * verdict: exit 1 on any error, wrong answer, shed request, restarted worker, or (in a run of
 * ten minutes or more) a memory slope over the second half above `--max-slope` MiB per 10
 * minutes beyond noise.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { STORM_USER, APP_HOST } from './fixtures.js';
import { prepareSignIn } from './portal-sign-in.js';
import { createRecord, createSoakClient, record, runClosed, runPaced, type SoakRecord } from './soak-load.js';
import { sampleMemory, type MemorySample } from './soak-memory.js';
import { judgeAnswer, mixRequest, MIX } from './soak-mix.js';
import { startSoakStack, type SoakStack } from './soak-stack.js';
import { fitLine, isFlat, percentile, type LineFit } from './soak-stats.js';
import { cookieFrom } from '../server/testing/http-client.js';

const MIB = 2 ** 20;
/** Shorter runs report the memory slope but pass or fail on errors alone. */
const MIN_MINUTES_FOR_MEMORY = 10;
const log = (line: string) => process.stderr.write(`  · ${line}\n`);

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string' },
    workers: { type: 'string', default: '2' },
    sessions: { type: 'string', default: '200' },
    'sign-ins-per-minute': { type: 'string', default: '6' },
    'max-slope': { type: 'string', default: '4' },
    'sample-seconds': { type: 'string', default: '5' },
    'measure-seconds': { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    /** Every memory sample (per process, smaps_rollup) as JSON, for a closer look afterwards. */
    samples: { type: 'string' },
  },
});
const num = (name: keyof typeof args) => {
  const n = Number(args[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};

async function main(): Promise<number> {
  const minutes = num('minutes');
  const connections = num('connections');
  const maxSlope = num('max-slope');
  const stack = await startSoakStack({ workers: num('workers'), sessions: num('sessions'), log });
  // Stopped with Ctrl-C or SIGTERM, the gateway, its workers, Redis and nginx would outlive
  // this process (nothing else stops them) and keep a core busy.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`);
      void stack.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  const client = createSoakClient(stack.port, connections);
  try {
    // Every kind of the mix, once in turn: a stack that answers wrongly is no soak.
    const check = createRecord(performance.now());
    for (let i = 0; i < 100; i++) await client.send(mixRequest(stack, i), check);
    if (check.total.ok !== 100) throw new Error(`sanity check: ${JSON.stringify(check.errorKinds)} ${check.wrongSamples.join('; ')}`);

    let rate = args.rate !== undefined ? num('rate') : 0;
    if (!rate) {
      const seconds = num('measure-seconds');
      const m = await runClosed(client, (i) => mixRequest(stack, i), { concurrency: connections, durationMs: seconds * 1000 });
      if (m.total.errors + m.total.wrong > 0)
        throw new Error(`capacity run: ${m.total.errors} errors, ${m.total.wrong} wrong: ${JSON.stringify(m.errorKinds)} ${m.wrongSamples.join('; ')}`);
      const capacity = m.total.sent / seconds;
      rate = Math.round(capacity / 2);
      log(`capacity with this client (${connections} connections, ${seconds} s): ${Math.round(capacity)} req/s; soaking at ${rate} req/s`);
    }
    return await soak(stack, client, { rate, minutes, maxSlope, connections });
  } finally {
    await client.close();
    await stack.stop();
  }
}

async function soak(stack: SoakStack, client: ReturnType<typeof createSoakClient>, o: { rate: number; minutes: number; maxSlope: number; connections: number }): Promise<number> {
  const durationMs = o.minutes * 60_000;
  const r = createRecord(performance.now());
  const samples: MemorySample[] = [];
  let restarts = 0;
  let done = false;

  const sample = async () => {
    const { sample: s, scrapeError } = await sampleMemory({ pid: stack.pid, port: stack.port, startedAt: r.startedAt });
    if (scrapeError) record(r, 'metrics', 'error', scrapeError);
    if (!s) return;
    const previous = samples.at(-1);
    if (previous && previous.workerPids.join() !== s.workerPids.join()) restarts++;
    samples.push(s);
  };
  await sample();
  const sampler = setInterval(() => void sample(), num('sample-seconds') * 1000);
  let minutesDone = 0;
  const printer = setInterval(() => log(minuteLine(r, minutesDone++, samples)), 60_000);
  const signIns = signInLoop(stack, client, r, 60_000 / num('sign-ins-per-minute'), () => done);
  try {
    await runPaced(client, (i) => mixRequest(stack, i), r, { rate: o.rate, durationMs, maxInFlight: maxInFlight(o.rate, o.connections) });
  } finally {
    done = true;
    clearInterval(sampler);
    clearInterval(printer);
    await signIns;
  }
  // The last minute ends with the run, at its timer's tick.
  while (minutesDone < Math.ceil(o.minutes)) log(minuteLine(r, minutesDone++, samples));
  await sample();
  if (args.samples) writeFileSync(args.samples, JSON.stringify(samples) + '\n');
  return report(r, samples, { ...o, restarts, durationS: durationMs / 1000 });
}

/**
 * Two seconds of requests may wait (at least four per connection): a pause of the gateway that
 * long (the JIT warming up, a neighbour taking the core of a shared machine) is absorbed and
 * shows in p99; a gateway that does not keep up sheds. Half a second shed in the first minute of
 * a 300 req/s run on a busy 2-core machine, with nothing wrong with the gateway.
 */
function maxInFlight(rate: number, connections: number): number {
  return Math.max(connections * 4, Math.ceil(rate * 2));
}

/**
 * Password sign-ins through the portal form every `everyMs`, from changing addresses, each then
 * used for a page through the proxy that must reach the upstream as the signed-in user.
 */
async function signInLoop(stack: SoakStack, client: ReturnType<typeof createSoakClient>, r: SoakRecord, everyMs: number, stopped: () => boolean): Promise<void> {
  for (let n = 0; !stopped(); n++) {
    // In short steps, so that the end of the run does not wait for a whole pause.
    for (const until = performance.now() + everyMs; performance.now() < until && !stopped(); ) await new Promise((resolve) => setTimeout(resolve, 250));
    if (stopped()) return;
    const sentAt = performance.now();
    try {
      const post = await prepareSignIn(stack.port, `10.9.${(n >> 8) & 255}.${n & 255}`, STORM_USER);
      const answer = await post();
      const token = cookieFrom(answer, 'gatehouse_session');
      if (answer.status !== 303 || !token) {
        record(r, 'sign-in', 'error', String(answer.status), undefined, sentAt);
        continue;
      }
      record(r, 'sign-in', 'ok', '303', undefined, sentAt);
      await client.send(
        {
          kind: 'signed-in page',
          host: APP_HOST,
          path: '/welcome',
          headers: { cookie: `gatehouse_session=${token}` },
          judge: (a) => judgeAnswer(a, 200, (x) => x.body.startsWith(`user=${STORM_USER.username} `)),
        },
        r,
      );
    } catch (error) {
      record(r, 'sign-in', 'error', (error as NodeJS.ErrnoException).code ?? (error as Error).message, undefined, sentAt);
    }
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');

function minuteLine(r: SoakRecord, minute: number, samples: readonly MemorySample[]): string {
  const t = r.minutes[minute];
  if (!t) return `minute ${minute + 1}: nothing yet`;
  const last = samples.filter((s) => s.t < (minute + 1) * 60).at(-1);
  const memory = last ? `RSS ${(last.rssBytes / MIB).toFixed(1)} MiB, heap ${(last.heapUsedBytes / MIB).toFixed(1)} MiB` : '';
  return `minute ${minute + 1}: ${t.sent} requests (${Math.round(t.sent / 60)}/s), ${t.errors} errors, ${t.wrong} wrong, ${t.shed} shed, p50 ${ms(percentile(t.latencies, 50))} ms, p99 ${ms(percentile(t.latencies, 99))} ms; ${memory}`;
}

function report(r: SoakRecord, samples: readonly MemorySample[], o: { rate: number; minutes: number; maxSlope: number; restarts: number; durationS: number }): number {
  const out: string[] = [];
  out.push('', `soak: ${o.minutes} min at ${o.rate} req/s (mix: ${MIX.map((m) => `${m.kind} ${m.weight}%`).join(', ')}; sign-ins on the side)`);
  out.push('minute  requests  errors  wrong  shed  p50 ms  p99 ms  RSS MiB  heap MiB');
  r.minutes.forEach((t, i) => {
    const last = samples.filter((s) => s.t < (i + 1) * 60).at(-1);
    out.push(
      [
        String(i + 1).padStart(6),
        String(t.sent).padStart(9),
        String(t.errors).padStart(7),
        String(t.wrong).padStart(6),
        String(t.shed).padStart(5),
        ms(percentile(t.latencies, 50)).padStart(7),
        ms(percentile(t.latencies, 99)).padStart(7),
        (last ? (last.rssBytes / MIB).toFixed(1) : '—').padStart(8),
        (last ? (last.heapUsedBytes / MIB).toFixed(1) : '—').padStart(9),
      ].join(' '),
    );
  });
  const t = r.total;
  out.push(
    `requests ${t.sent}, errors ${t.errors}, wrong ${t.wrong}, shed ${t.shed}, worker restarts ${o.restarts}; p50 ${ms(percentile(t.latencies, 50))} ms, p99 ${ms(percentile(t.latencies, 99))} ms`,
  );
  if (Object.keys(r.errorKinds).length > 0)
    out.push(
      `errors: ${Object.entries(r.errorKinds)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
  if (r.wrongSamples.length > 0) out.push(`wrong: ${r.wrongSamples.join(' | ')}`);

  const secondHalf = samples.filter((s) => s.t >= o.durationS / 2);
  // MiB per 10 minutes, from bytes per second.
  const per10Min = (fit: LineFit) => ({ slope: (fit.slope * 600) / MIB, slopeStdError: (fit.slopeStdError * 600) / MIB, intercept: fit.intercept });
  const rss = per10Min(fitLine(secondHalf.map((s) => ({ x: s.t, y: s.rssBytes }))));
  const heap = per10Min(fitLine(secondHalf.map((s) => ({ x: s.t, y: s.heapUsedBytes }))));
  const first = samples[0];
  const last = samples.at(-1);
  // Under ten minutes the second half is too short for a slope to stand out of the noise either way.
  const judged = o.minutes >= MIN_MINUTES_FOR_MEMORY;
  const flat = { rss: !judged || isFlat(rss, o.maxSlope), heap: !judged || isFlat(heap, o.maxSlope) };
  if (first && last)
    out.push(
      `memory: RSS ${(first.rssBytes / MIB).toFixed(1)} → ${(last.rssBytes / MIB).toFixed(1)} MiB, heap ${(first.heapUsedBytes / MIB).toFixed(1)} → ${(last.heapUsedBytes / MIB).toFixed(1)} MiB (${samples.length} samples)`,
    );
  out.push(...perProcess(samples, o.durationS, per10Min));
  out.push(
    `slope over the second half (${secondHalf.length} samples), MiB per 10 min: RSS ${rss.slope.toFixed(2)} ± ${rss.slopeStdError.toFixed(2)}, heap ${heap.slope.toFixed(2)} ± ${heap.slopeStdError.toFixed(2)} (flat: slope − 2 × its standard error ≤ ${o.maxSlope})`,
  );

  const failures = [
    t.errors > 0 && `${t.errors} errors`,
    t.wrong > 0 && `${t.wrong} wrong answers`,
    t.shed > 0 && `${t.shed} requests shed (the gateway fell behind)`,
    o.restarts > 0 && `${o.restarts} worker restarts`,
    !flat.rss && 'RSS not flat',
    !flat.heap && 'heap not flat',
  ].filter(Boolean);
  const memoryVerdict = judged ? 'memory flat' : `memory not judged (under ${MIN_MINUTES_FOR_MEMORY} minutes)`;
  out.push(failures.length === 0 ? `PASS: 0 errors, 0 wrong, ${memoryVerdict}` : `FAIL: ${failures.join(', ')}`, '');
  process.stdout.write(out.join('\n'));
  return failures.length === 0 ? 0 : 1;
}

/**
 * Each process's anonymous and file-backed memory: the first and the last minute's means and the
 * slope over the second half. Informative (the verdict is on the sum): it shows which process,
 * and which kind of memory, moves.
 */
function perProcess(samples: readonly MemorySample[], durationS: number, per10Min: (fit: LineFit) => { slope: number; slopeStdError: number }): string[] {
  const byPid = new Map<number, { t: number; anon: number; file: number }[]>();
  for (const s of samples) for (const p of s.processes) if (p.rssBytes > 0) byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), { t: s.t, anon: p.anonymousBytes, file: p.fileBytes }]);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length) / MIB;
  const lines: string[] = [];
  for (const [pid, points] of byPid) {
    if (points.length < 3) continue;
    const head = points.filter((p) => p.t <= points[0]!.t + 60);
    const tail = points.filter((p) => p.t >= points.at(-1)!.t - 60);
    const anonFit = per10Min(fitLine(points.filter((p) => p.t >= durationS / 2).map((p) => ({ x: p.t, y: p.anon }))));
    lines.push(
      `  process ${pid}: anonymous ${mean(head.map((p) => p.anon)).toFixed(1)} → ${mean(tail.map((p) => p.anon)).toFixed(1)} MiB (first and last minute's means; second half ${anonFit.slope.toFixed(2)} ± ${anonFit.slopeStdError.toFixed(2)} per 10 min), file-backed ${mean(head.map((p) => p.file)).toFixed(1)} → ${mean(tail.map((p) => p.file)).toFixed(1)} MiB`,
    );
  }
  return lines;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
