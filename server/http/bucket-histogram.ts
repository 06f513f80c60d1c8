import type { Metric, Registry } from 'prom-client';

/** One label set's observations: a count per bucket (not cumulative), the sum and the count. */
interface Series {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

export interface BucketHistogramChild {
  observe(value: number): void;
}

type Value = { labels: Record<string, string | number>; value: number; metricName: string };

/**
 * A Prometheus histogram for the hot path, exported exactly as prom-client's Histogram exports
 * the same observations (same series, label order, `le` values and aggregator, so `/metrics`
 * and the workers' merge read it unchanged).
 *
 * prom-client validates and hashes the label set on every `observe`, even on a child bound with
 * `labels()`, and looks its bucket up by a float-to-string property key. Here a child is bound
 * once per label set and an observation is a bucket search and three additions; the work of
 * exporting moves to the scrape.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly upperBounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[]; registers: readonly Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
    this.upperBounds = [...config.buckets].sort((a, b) => a - b);
    // The registry only reads name, help, type, aggregator and get(): prom-client's own
    // collectors implement the same (its types list its four classes only).
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The child for one label set: bind it once and keep it (one map lookup per call here). */
  labels(values: Record<string, string>): BucketHistogramChild {
    const labels: Record<string, string> = {};
    for (const name of this.labelNames) {
      const value = values[name];
      if (typeof value !== 'string') throw new Error(`${this.name}: label "${name}" is missing`);
      labels[name] = value;
    }
    for (const name of Object.keys(values)) if (!this.labelNames.includes(name)) throw new Error(`${this.name}: unknown label "${name}"`);
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { labels, counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0 }));
    const bounds = this.upperBounds;
    const bound = series;
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        bound.sum += value;
        bound.count += 1;
        // Above the last bound: only +Inf (the count) holds it.
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]!) {
            bound.counts[i]! += 1;
            return;
          }
        }
      },
    };
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] }> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      // A series observed nothing yet is not exported (prom-client creates it on first observe).
      if (series.count === 0) continue;
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** registry.resetMetrics(): every series back to zero; bound children stay bound. */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
