import type { Registry as PromRegistry } from "prom-client";

/** One label set's counts: what `observe` adds to on the request path. */
export class HistogramChild {
  /** Observations per bucket, not cumulative; the last one is above every bound (+Inf only). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // A non-finite value is a caller's bug; prom-client threw on it, and so does this.
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export interface ArrayHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: PromRegistry[];
}

/**
 * A Prometheus histogram for the request path: `child(...)` is looked up once per label set and
 * `observe` adds to its arrays; prom-client reads them only at scrape time, through `get()`, and
 * writes the same exposition as for its own `Histogram` (same names, labels, buckets and order).
 * prom-client's `observe` validated and hashed the label set on every call, children included:
 * 0.5-0.7 µs an observation, two to three a scored request.
 */
export class ArrayHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly bounds: readonly number[];
  private readonly labelNames: readonly L[];
  /** Children by their label values, joined (looked up once per label set by callers that cache). */
  private readonly children = new Map<string, HistogramChild>();

  constructor(opts: ArrayHistogramOptions<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.bounds = [...opts.buckets].sort((a, b) => a - b);
    for (const r of opts.registers) r.registerMetric(this as never);
  }

  /** The child for these label values (in `labelNames` order), made on first use. */
  child(...values: string[]): HistogramChild {
    const key = values.join("\u0000");
    let c = this.children.get(key);
    if (!c) {
      if (values.length !== this.labelNames.length)
        throw new Error(`${this.name}: ${this.labelNames.length} label values expected`);
      c = new HistogramChild(this.bounds, Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]])));
      this.children.set(key, c);
    }
    return c;
  }

  /**
   * What prom-client's registry reads at scrape time, for `/metrics` and `getMetricsAsJSON` alike
   * (its public metric interface): per label set the cumulative buckets (`le` first, as its own
   * `Histogram` writes them), then `_sum` and `_count`.
   */
  async get() {
    const values: {
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
      exemplar?: null;
    }[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const c of this.children.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += c.counts[i];
        values.push({ labels: { le, ...c.labels }, value: acc, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: "+Inf", ...c.labels }, value: c.count, metricName: bucketName, exemplar: null },
        { labels: { ...c.labels }, value: c.sum, metricName: `${this.name}_sum` },
        { labels: { ...c.labels }, value: c.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every label set (children handed out stay valid: callers keep them). */
  reset(): void {
    for (const c of this.children.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
