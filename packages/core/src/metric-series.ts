// Istio's metrics kept as plain numbers per label set and handed to prom-client's Registry only
// when /metrics is scraped. prom-client's Counter and Histogram hash and validate the whole label
// object on every inc/observe (also through labels() children); under load that was the larger
// half of the waypoint's per-request telemetry (packages/waypoint/bench/request-path.ts) and a
// tenth of the ztunnel's per-connection work. Here the label set is resolved once per series and
// a request or a connection costs a few additions.
import type { Metric, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

/** What Registry.metrics() and getMetricsAsJSON() read from a registered metric (prom-client's MetricObjectWithValues). */
interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

abstract class Family<S extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected series: S[] = [];

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    // The Registry only calls get(), reset() and reads name/help/type/aggregator.
    registry.registerMetric(this as unknown as Metric);
  }

  abstract get(): Promise<Exposed>;

  reset(): void {
    for (const s of this.series) this.clear(s);
  }

  protected abstract clear(series: S): void;
}

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

export class CounterFamily extends Family<CounterSeries> {
  readonly type = 'counter' as const;

  /** A new series; the caller keeps it and adds to `value`. */
  create(labels: Labels): CounterSeries {
    const s: CounterSeries = { labels, value: 0 };
    this.series.push(s);
    return s;
  }

  protected clear(s: CounterSeries): void {
    s.value = 0;
  }

  get(): Promise<Exposed> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.series.map((s) => ({ value: s.value, labels: { ...s.labels } })) });
  }
}

export class HistogramSeries {
  readonly labels: Labels;
  readonly #bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    // Prometheus buckets are upper-inclusive: a value equal to a bound counts in that bucket.
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts as number[])[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    super(registry, name, help);
    this.#bounds = bounds;
  }

  create(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.#bounds);
    this.series.push(s);
    return s;
  }

  protected clear(s: HistogramSeries): void {
    s.counts.fill(0);
    s.sum = 0;
    s.count = 0;
  }

  get(): Promise<Exposed> {
    const values: Exposed['values'] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += s.counts[i] as number;
        values.push({ value: cumulative, labels: { ...s.labels, le: i < this.#bounds.length ? (this.#bounds[i] as number) : '+Inf' }, metricName: `${this.name}_bucket` });
      }
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

/** The counters of one label set in a LabeledCounters, each series made when first moved (a counter never moved is not exposed). */
export class LabelSetCounters<C extends string> {
  readonly #families: Readonly<Record<C, CounterFamily>>;
  readonly #labels: Labels;
  readonly #series: Partial<Record<C, CounterSeries>> = {};

  constructor(families: Readonly<Record<C, CounterFamily>>, labels: Labels) {
    this.#families = families;
    this.#labels = labels;
  }

  inc(counter: C, value = 1): void {
    const series = (this.#series[counter] ??= this.#families[counter].create(this.#labels));
    series.value += value;
  }
}

/**
 * Several counters over the same label names (Istio's istio_tcp_* family), kept per label set: an
 * event finds its label set by one string key instead of prom-client hashing every label per
 * counter. Label values must come from bounded sources (xDS, identities), never from requests.
 */
export class LabeledCounters<C extends string, L extends string> {
  readonly #families: Readonly<Record<C, CounterFamily>>;
  readonly #labelNames: readonly L[];
  readonly #byKey = new Map<string, LabelSetCounters<C>>();

  constructor(registry: Registry, counters: Readonly<Record<C, { name: string; help: string }>>, labelNames: readonly L[]) {
    const families = {} as Record<C, CounterFamily>;
    for (const counter of Object.keys(counters) as C[]) families[counter] = new CounterFamily(registry, counters[counter].name, counters[counter].help);
    this.#families = families;
    this.#labelNames = labelNames;
  }

  /** The counters of a label set. */
  series(labels: Readonly<Record<L, string>>): LabelSetCounters<C> {
    // Length-prefixed values: no value, whatever it holds, can run into the next one.
    let key = '';
    for (const name of this.#labelNames) {
      const value = labels[name];
      key += `${value.length}:${value}`;
    }
    let found = this.#byKey.get(key);
    if (!found) {
      found = new LabelSetCounters(this.#families, labels);
      this.#byKey.set(key, found);
    }
    return found;
  }
}
