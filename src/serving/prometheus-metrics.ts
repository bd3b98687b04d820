import { Counter, Gauge, Registry as PromRegistry, collectDefaultMetrics } from "prom-client";
import { ArrayHistogram } from "./array-histogram.js";

/**
 * The serving process's Prometheus metrics, on a registry of its own (no globals: two servers in
 * one test process do not share counters). The HTTP layer adds its request metrics to `registry`.
 */
export class ServingPromMetrics {
  readonly registry = new PromRegistry();
  readonly predictions = new Counter({
    name: "lakay_predictions_total",
    help: "Transactions scored, by variant and mode (idempotent replays not counted)",
    labelNames: ["variant", "mode"] as const,
    registers: [this.registry],
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "lakay_" });
    // prom-client names three gauges `*_total`, which Prometheus reserves for counters: `promtool
    // check metrics` refuses the page (test/monitoring/metrics-promtool.test.ts). The same figures
    // stay available without the suffix in `lakay_nodejs_active_{handles,requests,resources}`.
    for (const m of ["handles", "requests", "resources"])
      this.registry.removeSingleMetric(`lakay_nodejs_active_${m}_total`);
  }
}
