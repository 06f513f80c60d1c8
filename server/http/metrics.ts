import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Route = 'proxy' | 'forward_auth' | 'auth_request' | 'portal';

/** Prometheus metrics of one gateway instance; one registry per instance, no globals. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  dropGaugesNamedLikeCounters(registry);
  const decisions = new Counter({
    name: 'gatehouse_access_decisions_total',
    help: 'Access decisions on protected requests, by route and outcome',
    labelNames: ['route', 'decision'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gatehouse_request_duration_seconds',
    help: 'Time from request to response headers (proxied: to the upstream response headers), by route',
    labelNames: ['route'] as const,
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
  return { registry, decisions, duration, signIns, regulation };
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
