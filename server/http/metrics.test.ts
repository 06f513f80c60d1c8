import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from './bucket-histogram.js';
import { createMetrics } from './metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Bounds exactly, just either side of them, zero, negative, and above the last bound. */
const VALUES = [0, -1, 0.0005, 0.00050001, 0.0004999, 0.001, 0.003, 0.0099, 0.01, 0.07, 0.25, 0.9, 1, 2.5, 4, 10, 10.0001, 37, 1e9, 1e-12];

/** The same observations into prom-client's Histogram and ours, each in a registry of its own. */
function pair(observations: Array<[route: string, value: number]>, order: readonly string[]) {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['route'], buckets: BUCKETS, registers: [theirs] });
  const histogram = new BucketHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['route'], buckets: BUCKETS, registers: [ours] });
  const children = new Map(order.map((route) => [route, histogram.labels({ route })]));
  for (const [route, value] of observations) {
    reference.labels({ route }).observe(value);
    children.get(route)!.observe(value);
  }
  return { theirs, ours, reference, histogram };
}

describe('BucketHistogram', () => {
  it('exports what prom-client exports for the same observations, text and JSON', async () => {
    const observations = VALUES.flatMap(
      (value, i): Array<[string, number]> => [
        ['proxy', value],
        [i % 3 === 0 ? 'forward_auth' : 'proxy', value / 7],
      ],
    );
    const { theirs, ours } = pair(observations, ['proxy', 'forward_auth', 'auth_request']);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds an empty `exemplar` to each value; the rest is what the workers' merge reads.
    const json = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).map(({ name, help, type, aggregator, values }) => ({
        name,
        help,
        type,
        aggregator,
        values: values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({ labels, value, metricName })),
      }));
    expect(await json(ours)).toEqual(await json(theirs));
    // A bound route that saw nothing is not exported, as prom-client does not export it.
    expect(await ours.metrics()).not.toContain('auth_request');
  });

  it('sums the workers alike when their registries are merged', async () => {
    const a = pair(
      [
        ['proxy', 0.002],
        ['proxy', 3],
      ],
      ['proxy'],
    );
    const b = pair(
      [
        ['proxy', 0.0001],
        ['forward_auth', 0.02],
      ],
      ['proxy', 'forward_auth'],
    );
    const merge = async (registries: Registry[]) => AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).metrics();
    expect(await merge([a.ours, b.ours])).toBe(await merge([a.theirs, b.theirs]));
  });

  it('refuses a value that is not a number, and a label set that does not fit, as prom-client does', () => {
    const { histogram } = pair([], ['proxy']);
    expect(() => histogram.labels({ route: 'proxy' }).observe(Number.NaN)).toThrow(TypeError);
    expect(() => histogram.labels({ route: 'proxy' }).observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => histogram.labels({})).toThrow(/route/);
    expect(() => histogram.labels({ route: 'proxy', other: 'x' })).toThrow(/other/);
  });

  it('starts over on resetMetrics, and bound children keep counting afterwards', async () => {
    const { theirs, ours, reference, histogram } = pair([['proxy', 0.3]], ['proxy']);
    const child = histogram.labels({ route: 'proxy' });
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    reference.labels({ route: 'proxy' }).observe(0.004);
    child.observe(0.004);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('h_seconds_count{route="proxy"} 1');
  });
});

describe('decision counters', () => {
  it('count every inc() in the scrape, once, as the labelled counter would', async () => {
    const metrics = createMetrics();
    const reference = new Registry();
    const counter = new Counter({ name: 'gatehouse_access_decisions_total', help: 'x', labelNames: ['route', 'decision'], registers: [reference] });
    const steps: Array<[route: 'proxy' | 'forward_auth' | 'auth_request', decision: string, times: number]> = [
      ['proxy', 'allow', 5],
      ['forward_auth', 'login', 2],
      ['proxy', 'allow', 3],
      ['auth_request', 'deny', 1],
      ['proxy', 'error', 1],
    ];
    const samples = async (registry: Registry) =>
      (await registry.metrics())
        .split('\n')
        .filter((line) => line.startsWith('gatehouse_access_decisions_total{'))
        .sort();
    for (const [route, decision, times] of steps) {
      // Bound anew each step: two children of one label set count into one series.
      const child = metrics.decisionCounter(route, decision);
      for (let i = 0; i < times; i++) {
        child.inc();
        counter.labels({ route, decision }).inc();
      }
      // Scraped after every step: what a scrape flushed is not counted again by the next.
      expect(await samples(metrics.registry)).toEqual(await samples(reference));
    }
    expect(await samples(metrics.registry)).toContain('gatehouse_access_decisions_total{route="proxy",decision="allow"} 8');
  });

  it('are counted in the JSON the workers send to be merged', async () => {
    const workers = [createMetrics(), createMetrics()];
    workers[0]!.decisionCounter('proxy', 'allow').inc();
    workers[1]!.decisionCounter('proxy', 'allow').inc();
    workers[1]!.decisionCounter('proxy', 'allow').inc();
    const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON())));
    expect(await merged.metrics()).toContain('gatehouse_access_decisions_total{route="proxy",decision="allow"} 3');
  });
});
