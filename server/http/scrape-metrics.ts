import type { Registry } from 'prom-client';

/** The text /metrics answers, or why there is none (a worker that did not answer in time). */
export type ScrapeResult = { ok: true; contentType: string; text: string } | { ok: false; reason: string };

/** What /metrics calls: this process's registry alone, or every worker's (server/commands/cluster-metrics.ts). */
export type ScrapeMetrics = () => Promise<ScrapeResult>;

/** One process: its own registry. */
export function scrapeRegistry(registry: Registry): ScrapeMetrics {
  return async () => ({ ok: true, contentType: registry.contentType, text: await registry.metrics() });
}
