import { Counter, Gauge, Registry as PromRegistry, collectDefaultMetrics } from "prom-client";
import { ArrayHistogram } from "./array-histogram.js";

/** One label set's count of scored transactions, added to on the request path. */
export class PredictionTally {
  n = 0;

  constructor(
    readonly variant: string,
    readonly mode: string,
  ) {}

  inc(by = 1): void {
    this.n += by;
  }
}

/**
 * The serving process's Prometheus metrics, on a registry of its own (no globals: two servers in
 * one test process do not share counters). The HTTP layer adds its request metrics to `registry`.
 */
export class ServingPromMetrics {
  readonly registry = new PromRegistry();
  /**
   * Counted in plain numbers (`predictionTally`), handed to prom-client at scrape time: its own
   * `inc` validated and hashed the label set on every call, ~1.3 µs of a scored request.
   */
  private readonly tallies = new Map<string, PredictionTally>();
  readonly predictions = new Counter({
    name: "lakay_predictions_total",
    help: "Transactions scored, by variant and mode (idempotent replays not counted)",
    labelNames: ["variant", "mode"] as const,
    registers: [this.registry],
    collect: () => {
      this.predictions.reset();
      for (const t of this.tallies.values()) this.predictions.inc({ variant: t.variant, mode: t.mode }, t.n);
    },
  });
  /** Observed once per scored transaction: counted in arrays, read at scrape time. */
  readonly scores = new ArrayHistogram({
    name: "lakay_score",
    help: "Final hybrid score per transaction, by variant",
    labelNames: ["variant"] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [this.registry],
  });
  readonly shadowScores = new Counter({
    name: "lakay_shadow_predictions_total",
    help: "Transactions the challenger scored in shadow mode",
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: "lakay_reloads_total",
    help: "Model reloads, by result",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly modelVersion = new Gauge({
    name: "lakay_model_version",
    help: "Version served per variant (0: none)",
    labelNames: ["variant"] as const,
    registers: [this.registry],
  });
  readonly mlEnabled = new Gauge({
    name: "lakay_ml_enabled",
    help: "1 when ML scoring is on, 0 in rules-only mode",
    registers: [this.registry],
  });

  /** The count of one label set of `lakay_predictions_total`, made on first use. */
  predictionTally(variant: string, mode: string): PredictionTally {
    const key = `${variant}\u0000${mode}`;
    let t = this.tallies.get(key);
    if (!t) this.tallies.set(key, (t = new PredictionTally(variant, mode)));
    return t;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "lakay_" });
    // prom-client names three gauges `*_total`, which Prometheus reserves for counters: `promtool
    // check metrics` refuses the page (test/monitoring/metrics-promtool.test.ts). The same figures
    // stay available without the suffix in `lakay_nodejs_active_{handles,requests,resources}`.
    for (const m of ["handles", "requests", "resources"])
      this.registry.removeSingleMetric(`lakay_nodejs_active_${m}_total`);
  }
}
