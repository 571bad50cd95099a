/**
 * Counters and histograms for the per-request metrics, shaped for prom-client's Registry (it renders any metric
 * whose get() returns name, help, type and values) but cheaper to update: a series is found by one joined-string
 * Map lookup, where prom-client validates and hashes the label object on every call (~1-2 µs each, three or four
 * per request on the hot path).
 */
import type { Registry } from 'prom-client';

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface Series<L extends string> {
  labels: Record<L, string>;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative), one slot per bound. */
  buckets: number[];
}

abstract class Tally<L extends string> {
  protected readonly series = new Map<string, Series<L>>();
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly L[],
    private readonly bucketCount: number,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected seriesOf(labels: Record<L, string>): Series<L> {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let found = this.series.get(key);
    if (!found) {
      const own = {} as Record<L, string>;
      for (const name of this.labelNames) own[name] = labels[name];
      found = { labels: own, count: 0, sum: 0, buckets: new Array<number>(this.bucketCount).fill(0) };
      this.series.set(key, found);
    }
    return found;
  }

  reset(): void {
    this.series.clear();
  }
}

/** A monotonic counter by label set. */
export class TallyCounter<L extends string> extends Tally<L> {
  readonly type = 'counter';

  constructor(options: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    super(options.name, options.help, options.labelNames, 0, options.registry);
  }

  inc(labels: Record<L, string>, amount = 1): void {
    this.seriesOf(labels).count += amount;
  }

  /** Every series with its value (the labels as given). */
  entries(): Array<{ labels: Record<L, string>; value: number }> {
    return [...this.series.values()].map((series) => ({ labels: series.labels, value: series.count }));
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.entries().map(({ labels, value }) => ({ labels, value })) };
  }
}

/** A histogram by label set, with fixed upper bounds in seconds (the `le` buckets). */
export class TallyHistogram<L extends string> extends Tally<L> {
  readonly type = 'histogram';

  constructor(options: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[]; registry: Registry }) {
    super(options.name, options.help, options.labelNames, options.buckets.length, options.registry);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }

  private readonly bounds: number[];

  observe(labels: Record<L, string>, value: number): void {
    const series = this.seriesOf(labels);
    series.count += 1;
    series.sum += value;
    let index = 0;
    while (index < this.bounds.length && value > this.bounds[index]!) index += 1;
    if (index < this.bounds.length) series.buckets[index]! += 1;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += series.buckets[index]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...series.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
