// The client's metrics with Istio's names (ztunnel src/xds/metrics.rs), registered in the app's
// prom-client Registry. This library does not depend on prom-client (apps do): it registers small
// counters that implement the collection protocol a prom-client Registry reads (`name`, `help`,
// `type`, `get()`, `reset()`), and reuses a same-named counter already in the registry (another
// client in the same process, or a prom-client Counter), so two clients can share one registry.

/** The part of a prom-client Registry the client uses; a `prom.Registry` fits. */
export interface MetricsRegistry {
  registerMetric(metric: CollectableMetric): void;
  getSingleMetric(name: string): unknown;
}

/** What a registry needs of a metric (prom-client's Counter has these too). */
export interface CollectableMetric {
  get(): Promise<unknown>;
  reset(): void;
}

interface Incrementable {
  inc(labels: Record<string, string>, value?: number): void;
}

/** Why a stream ended, as ztunnel's ConnectionTerminationReason (a closed set). */
export type TerminationReason = 'ConnectionError' | 'Error' | 'Reconnect' | 'Complete';

const MAX_SERIES = 64;

export class LabelledCounter implements CollectableMetric, Incrementable {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly labelName: string;
  private readonly series = new Map<string, number>();

  constructor(name: string, help: string, labelName: string) {
    this.name = name;
    this.help = help;
    this.labelName = labelName;
  }

  inc(labels: Record<string, string>, value = 1): void {
    const key = labels[this.labelName] ?? '';
    // Label values are bounded by construction; this is a last guard against a cardinality leak.
    if (!this.series.has(key) && this.series.size >= MAX_SERIES) return;
    this.series.set(key, (this.series.get(key) ?? 0) + value);
  }

  value(label: string): number {
    return this.series.get(label) ?? 0;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ value: number; labels: Record<string, string> }> }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.series].map(([label, value]) => ({ value, labels: { [this.labelName]: label } })),
    });
  }

  reset(): void {
    this.series.clear();
  }
}

function isIncrementable(value: unknown): value is Incrementable {
  return typeof value === 'object' && value !== null && typeof (value as { inc?: unknown }).inc === 'function';
}

function counter(registry: MetricsRegistry | undefined, name: string, help: string, labelName: string): Incrementable {
  const existing = registry?.getSingleMetric(name);
  if (isIncrementable(existing)) return existing;
  const created = new LabelledCounter(name, help, labelName);
  registry?.registerMetric(created);
  return created;
}

export class XdsClientMetrics {
  private readonly terminations: Incrementable;
  private readonly messages: Incrementable;
  private readonly bytes: Incrementable;

  constructor(registry: MetricsRegistry | undefined) {
    this.terminations = counter(registry, 'istio_xds_connection_terminations_total', 'The total number of completed connections to xds server (unstable)', 'reason');
    this.messages = counter(registry, 'istio_xds_message_total', 'Total number of messages received (unstable)', 'url');
    this.bytes = counter(registry, 'istio_xds_message_bytes_total', 'Total number of bytes received (unstable)', 'url');
  }

  terminated(reason: TerminationReason): void {
    this.terminations.inc({ reason });
  }

  /** One response of `url` (a subscribed type URL, else `unknown`: the label set stays bounded). */
  received(url: string, bytes: number): void {
    this.messages.inc({ url });
    this.bytes.inc({ url }, bytes);
  }
}
