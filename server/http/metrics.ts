import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.js';

export type Route = 'proxy' | 'forward_auth' | 'auth_request' | 'portal';

/** A decision counter bound to one route and outcome, for the hot path. */
export interface DecisionCounter {
  inc(): void;
}

/** Prometheus metrics of one gateway instance; one registry per instance, no globals. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  dropGaugesNamedLikeCounters(registry);
  // prom-client validates and hashes the label set on every inc(), even on a child bound with
  // labels(); the routes count here instead, and the counts are added to the counter when it is
  // collected, which every scrape (and the workers' merge) does before reading it.
  const bound = new Map<string, { labels: { route: Route; decision: string }; pending: number }>();
  const decisions = new Counter({
    name: 'gatehouse_access_decisions_total',
    help: 'Access decisions on protected requests, by route and outcome',
    labelNames: ['route', 'decision'] as const,
    registers: [registry],
    collect() {
      for (const counter of bound.values()) {
        if (counter.pending === 0) continue;
        this.inc(counter.labels, counter.pending);
        counter.pending = 0;
      }
    },
  });
  /** The counter of one route's decision, bound once per label set. */
  function decisionCounter(route: Route, decision: string): DecisionCounter {
    const key = `${route} ${decision}`;
    let counter = bound.get(key);
    if (!counter) bound.set(key, (counter = { labels: { route, decision }, pending: 0 }));
    const target = counter;
    return {
      inc() {
        target.pending += 1;
      },
    };
  }
  const duration = new BucketHistogram({
    name: 'gatehouse_request_duration_seconds',
    help: 'Time from request to response headers (proxied: to the upstream response headers), by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'gatehouse_sign_ins_total',
    help: 'Sign-in attempts by factor and result',
    labelNames: ['factor', 'result'] as const,
    registers: [registry],
  });
  const regulation = new Counter({
    name: 'gatehouse_regulation_events_total',
    help: 'Bans and lockouts started by brute-force regulation, by event and factor kind',
    labelNames: ['event', 'factor'] as const,
    registers: [registry],
  });
  return { registry, decisions, decisionCounter, duration, signIns, regulation };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * prom-client's default metrics include gauges named like counters
 * (`nodejs_active_handles_total`, `…_requests_total`, `…_resources_total`), which
 * `promtool check metrics` rejects and which break `rate()`-style tooling that trusts the
 * suffix. Each is the sum of a labelled sibling kept here (`gatehouse_nodejs_active_handles`
 * by type), so nothing is lost: `sum(gatehouse_nodejs_active_handles)` is the total.
 */
function dropGaugesNamedLikeCounters(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    // The typings say a numeric enum; at run time `type` is the exposition name ('gauge').
    const { name, type } = metric as unknown as { name: string; type: string };
    if (name.endsWith('_total') && type !== 'counter') registry.removeSingleMetric(name);
  }
}
