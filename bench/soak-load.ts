import { Pool } from 'undici';
import type { Answer, SoakRequest, Verdict } from './soak-mix.js';

/** Counts of one minute (or of the whole run). */
export interface Tally {
  sent: number;
  ok: number;
  wrong: number;
  errors: number;
  /** Requests the client did not send because `maxInFlight` were already waiting: the gateway fell behind. */
  shed: number;
  /** Milliseconds from send to the whole answer, of the mix's requests. */
  latencies: number[];
}

export const emptyTally = (): Tally => ({ sent: 0, ok: 0, wrong: 0, errors: 0, shed: 0, latencies: [] });

export interface SoakRecord {
  total: Tally;
  minutes: Tally[];
  /** Errors by kind of request and cause ("proxied 503", "forward-auth ECONNRESET"). */
  errorKinds: Record<string, number>;
  /** The first few wrong answers, to print. */
  wrongSamples: string[];
  startedAt: number;
}

export function createRecord(startedAt: number): SoakRecord {
  return { total: emptyTally(), minutes: [], errorKinds: {}, wrongSamples: [], startedAt };
}

/** Adds one judged answer (or a failure) to the run and to the minute it was sent in (`sentAt`, performance.now()). */
export function record(r: SoakRecord, kind: string, verdict: Verdict, detail: string, latencyMs?: number, sentAt = performance.now()): void {
  const minute = Math.max(0, Math.floor((sentAt - r.startedAt) / 60_000));
  while (r.minutes.length <= minute) r.minutes.push(emptyTally());
  for (const t of [r.total, r.minutes[minute]!]) {
    t.sent++;
    t[verdict === 'ok' ? 'ok' : verdict === 'wrong' ? 'wrong' : 'errors']++;
    if (latencyMs !== undefined) t.latencies.push(latencyMs);
  }
  if (verdict === 'error') r.errorKinds[`${kind} ${detail}`] = (r.errorKinds[`${kind} ${detail}`] ?? 0) + 1;
  if (verdict === 'wrong' && r.wrongSamples.length < 10) r.wrongSamples.push(`${kind}: ${detail}`);
}

export function recordShed(r: SoakRecord): void {
  const minute = Math.floor((performance.now() - r.startedAt) / 60_000);
  while (r.minutes.length <= minute) r.minutes.push(emptyTally());
  r.total.shed++;
  r.minutes[minute]!.shed++;
}

/** Keep-alive connections to the gateway; every answer read whole, then judged. */
export function createSoakClient(port: number, connections: number) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  async function send(req: SoakRequest, into: SoakRecord): Promise<void> {
    const started = performance.now();
    try {
      const res = await pool.request({ method: 'GET', path: req.path, headers: { host: req.host, ...req.headers } });
      const answer: Answer = { status: res.statusCode, headers: res.headers, body: await res.body.text() };
      const verdict = req.judge(answer);
      record(into, req.kind, verdict, verdict === 'wrong' ? `${answer.status} ${answer.body.slice(0, 80).trim()}` : String(answer.status), performance.now() - started, started);
    } catch (error) {
      record(into, req.kind, 'error', (error as NodeJS.ErrnoException).code ?? (error as Error).message, undefined, started);
    }
  }
  return { send, close: () => pool.close() };
}

type Client = ReturnType<typeof createSoakClient>;

/** As fast as `concurrency` loops go, for `durationMs`: how much the stack carries with this client. */
export async function runClosed(client: Client, next: (i: number) => SoakRequest, options: { concurrency: number; durationMs: number }): Promise<SoakRecord> {
  const r = createRecord(performance.now());
  const end = r.startedAt + options.durationMs;
  let i = 0;
  const loop = async () => {
    while (performance.now() < end) await client.send(next(i++), r);
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return r;
}

/**
 * `rate` requests a second, sent on schedule whether or not earlier ones have been answered (an
 * open loop, as users are), with at most `maxInFlight` waiting: past it a request is shed and
 * counted, so a gateway that falls behind shows as shed requests instead of a client that
 * quietly slows down with it (and the client's memory stays bounded).
 */
export async function runPaced(
  client: Client,
  next: (i: number) => SoakRequest,
  into: SoakRecord,
  options: { rate: number; durationMs: number; maxInFlight: number },
): Promise<void> {
  // The record's own start, so that every request falls in one of its minutes.
  const start = into.startedAt;
  let issued = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= options.durationMs) break;
    const due = Math.floor((elapsed / 1000) * options.rate);
    for (; issued < due; issued++) {
      if (inFlight >= options.maxInFlight) {
        recordShed(into);
        continue;
      }
      inFlight++;
      const p = client.send(next(issued), into).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
}
