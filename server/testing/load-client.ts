/**
 * A bounded load for the fault suite: a few loops sending requests one after another, each
 * answer judged against what it should be. A fault test starts it, does something bad to a
 * part, and reads the report: how many were sent, how many answered wrongly (a 2xx that should
 * not be one), how many failed (5xx, refused), and when the last failure was.
 */
export type Outcome = 'ok' | 'wrong' | 'error';

export interface Probe {
  name: string;
  /** Sends one request; its status, or throws (a refused connection counts as an error). */
  send(): Promise<number>;
  /** Which statuses are right. A 2xx that is not right is wrong; anything else not right is an error. */
  expect: readonly number[];
  /** Sent by a loop of its own, pausing this long between requests (a costly sign-in). */
  pauseMs?: number;
}

export interface LoadReport {
  sent: number;
  ok: number;
  wrong: number;
  errors: number;
  /** Time (Date.now) of the last error, if any. */
  lastErrorAt?: number;
  firstErrorAt?: number;
  /** A few of the wrong answers, for the failure message. */
  wrongSamples: string[];
  /** Errors by kind ("503", "ECONNREFUSED"), to print. */
  errorKinds: Record<string, number>;
  /** The same counts for each probe. */
  byProbe: Record<string, { sent: number; ok: number; wrong: number; errors: number }>;
}

export function judge(probe: Probe, status: number): Outcome {
  if (probe.expect.includes(status)) return 'ok';
  return status >= 200 && status < 300 ? 'wrong' : 'error';
}

/**
 * Runs `concurrency` loops over `probes` in turn; a probe with its own `pauseMs` (a costly
 * sign-in) is sent by a loop of its own at that pace instead.
 */
export function startLoad(probes: readonly Probe[], options: { concurrency: number; pauseMs?: number }) {
  const report: LoadReport = { sent: 0, ok: 0, wrong: 0, errors: 0, wrongSamples: [], errorKinds: {}, byProbe: {} };
  let running = true;
  let next = 0;

  function record(probe: Probe, outcome: Outcome, detail: string): void {
    const field = outcome === 'ok' ? 'ok' : outcome === 'wrong' ? 'wrong' : 'errors';
    const mine = (report.byProbe[probe.name] ??= { sent: 0, ok: 0, wrong: 0, errors: 0 });
    report.sent++;
    mine.sent++;
    report[field]++;
    mine[field]++;
    if (outcome === 'wrong' && report.wrongSamples.length < 10) report.wrongSamples.push(`${probe.name}: ${detail}`);
    if (outcome === 'error') {
      const now = Date.now();
      report.firstErrorAt ??= now;
      report.lastErrorAt = now;
      report.errorKinds[detail] = (report.errorKinds[detail] ?? 0) + 1;
    }
  }

  async function sendOne(probe: Probe): Promise<void> {
    try {
      const status = await probe.send();
      record(probe, judge(probe, status), String(status));
    } catch (error) {
      record(probe, 'error', (error as NodeJS.ErrnoException).code ?? (error as Error).message);
    }
  }

  async function loop(pool: readonly Probe[], pauseMs: number | undefined): Promise<void> {
    while (running && pool.length > 0) {
      await sendOne(pool[next++ % pool.length]!);
      if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  const shared = probes.filter((p) => p.pauseMs === undefined);
  const loops = [
    ...Array.from({ length: options.concurrency }, () => loop(shared, options.pauseMs)),
    ...probes.filter((p) => p.pauseMs !== undefined).map((p) => loop([p], p.pauseMs)),
  ];
  return {
    report,
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}

/** One line for the test output and RELIABILITY.md. */
export function describeLoad(name: string, report: LoadReport, extra: Record<string, string | number> = {}): string {
  const kinds = Object.entries(report.errorKinds)
    .map(([kind, n]) => `${kind}×${n}`)
    .join(' ');
  const fields = Object.entries(extra)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `[fault] ${name}: sent=${report.sent} ok=${report.ok} wrong=${report.wrong} errors=${report.errors}${kinds ? ` (${kinds})` : ''}${fields ? ` ${fields}` : ''}`;
}
