import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';
import type { ScrapeMetrics, ScrapeResult } from '../http/scrape-metrics.js';

/**
 * /metrics with `server.workers` above 1. The workers accept connections themselves
 * (SCHED_NONE, supervise-workers.ts), so a scrape lands on any one of them; that worker asks
 * the primary, the primary asks every listening worker for its registry (getMetricsAsJSON) and
 * merges them with prom-client's AggregatorRegistry.aggregate: counters and histograms summed,
 * gauges by the aggregator prom-client gives each (sum unless it says otherwise: the event-loop
 * lag averaged, its min and max kept, the Node version's first value, the process start time
 * left out). The scrape thus counts every request, whichever worker served it.
 *
 * A worker that does not answer within COLLECT_TIMEOUT_MS fails the scrape (503): a sum with one
 * worker missing would look to Prometheus like a counter reset, and `rate()` would count the
 * missing worker's whole total again once it is back. A worker that exits during a scrape is
 * left out: its counts are gone with it either way.
 */
const SCRAPE = 'gatehouse:metrics-scrape';
const SCRAPED = 'gatehouse:metrics-scraped';
const COLLECT = 'gatehouse:metrics-collect';
const COLLECTED = 'gatehouse:metrics-collected';

/** How long the primary waits for each worker's registry. */
export const COLLECT_TIMEOUT_MS = 5000;
/** How long a worker waits for the primary's merged answer: the collection plus a margin. */
const SCRAPE_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 3000;

type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Message =
  | { type: typeof SCRAPE; id: number }
  | { type: typeof SCRAPED; id: number; result: ScrapeResult }
  | { type: typeof COLLECT; id: number }
  | { type: typeof COLLECTED; id: number; metrics?: WorkerMetrics; error?: string };

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && typeof (m as Message).type === 'string' && (m as Message).type.startsWith('gatehouse:metrics-');

/** In a worker: the scrape /metrics answers, merged over every worker by the primary. */
export function askPrimaryForMetrics(): ScrapeMetrics {
  let next = 0;
  return () =>
    new Promise((resolve) => {
      const id = next++;
      const finish = (result: ScrapeResult) => {
        clearTimeout(timer);
        process.off('message', onMessage);
        resolve(result);
      };
      const onMessage = (message: unknown) => {
        if (isMessage(message) && message.type === SCRAPED && message.id === id) finish(message.result);
      };
      const timer = setTimeout(() => finish({ ok: false, reason: 'the primary process did not answer in time' }), SCRAPE_TIMEOUT_MS);
      process.on('message', onMessage);
      process.send?.({ type: SCRAPE, id } satisfies Message);
    });
}

/** In a worker: hands this worker's registry to the primary when it collects. Returns the way to stop. */
export function answerPrimaryWithMetrics(registry: Registry): () => void {
  const onMessage = (message: unknown) => {
    if (!isMessage(message) || message.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: message.id, metrics } satisfies Message),
      (error: unknown) => process.send?.({ type: COLLECTED, id: message.id, error: String(error) } satisfies Message),
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

interface Collection {
  waiting: Set<Worker>;
  responses: WorkerMetrics[];
  timer: NodeJS.Timeout;
  reply: (result: ScrapeResult) => void;
}

/**
 * In the primary: answers workers' scrapes with the merge of every worker in `workers()` (those
 * listening). Returns the way to stop.
 */
export function gatherWorkerMetrics(options: { workers: () => Iterable<Worker>; logger: Logger }): () => void {
  const collections = new Map<number, Collection>();
  let next = 0;

  function finish(id: number, result?: ScrapeResult): void {
    const c = collections.get(id);
    if (!c) return;
    collections.delete(id);
    clearTimeout(c.timer);
    if (result) return c.reply(result);
    const merged = AggregatorRegistry.aggregate(c.responses);
    merged.metrics().then(
      (text) => c.reply({ ok: true, contentType: merged.contentType, text }),
      (error: unknown) => c.reply({ ok: false, reason: `merging the workers' metrics failed: ${String(error)}` }),
    );
  }

  function collect(asker: Worker, askerId: number): void {
    const id = next++;
    const reply = (result: ScrapeResult) => {
      if (!result.ok) options.logger.warn({ reason: result.reason }, '/metrics: no merged answer');
      if (asker.isConnected()) asker.send({ type: SCRAPED, id: askerId, result } satisfies Message);
    };
    const waiting = new Set([...options.workers()].filter((w) => w.isConnected()));
    const timer = setTimeout(
      () => finish(id, { ok: false, reason: `${collections.get(id)?.waiting.size ?? 0} worker(s) did not answer within ${COLLECT_TIMEOUT_MS} ms` }),
      COLLECT_TIMEOUT_MS,
    );
    collections.set(id, { waiting, responses: [], timer, reply });
    for (const worker of waiting) worker.send({ type: COLLECT, id } satisfies Message);
    if (waiting.size === 0) finish(id);
  }

  function onMessage(worker: Worker, message: unknown): void {
    if (!isMessage(message)) return;
    if (message.type === SCRAPE) return collect(worker, message.id);
    if (message.type !== COLLECTED) return;
    const c = collections.get(message.id);
    if (!c?.waiting.delete(worker)) return;
    if (message.error !== undefined || !message.metrics) return finish(message.id, { ok: false, reason: `a worker could not read its metrics: ${message.error}` });
    c.responses.push(message.metrics);
    if (c.waiting.size === 0) finish(message.id);
  }

  function onExit(worker: Worker): void {
    for (const [id, c] of collections) if (c.waiting.delete(worker) && c.waiting.size === 0) finish(id);
  }

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
    for (const id of [...collections.keys()]) finish(id, { ok: false, reason: 'the primary is stopping' });
  };
}
