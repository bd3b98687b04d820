import { z } from "zod";
import { autoPromotionConfigSchema } from "./auto-promotion.js";

/**
 * `serving.yaml`'s `monitoring:` section. Defaults are the original service's (issue #15): PSI over
 * at most 50,000 observations, recomputed every 500 once 100 are in, 0.1 / 0.25; score shift 2 σ /
 * 3 σ; everything logged and kept 5 years.
 */
export const monitoringConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    prediction_log: z
      .object({
        enabled: z.boolean().default(true),
        /** Share of non-experiment traffic logged (experiment traffic is always logged). */
        sample_rate: z.number().min(0).max(1).default(1),
        /** Rows older than this may be purged; the database refuses deleting younger than 1 year. */
        retention_years: z.number().int().min(1).default(5),
        queue_capacity: z.number().int().min(1).default(100_000),
        batch_size: z.number().int().min(1).max(10_000).default(1000),
        /** Queue write interval: what a kill -9 can lose at most. */
        flush_ms: z.number().int().min(10).default(1000),
        /**
         * Where batches go while the database is unreachable (replayed when it is back); unset:
         * `spill` in Lakay's home (`LAKAY_HOME`, default `./.lakay`), beside the embedded registry.
         */
        spill_dir: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    drift: z
      .object({
        window: z.number().int().min(10).default(50_000),
        recompute_every: z.number().int().min(1).default(500),
        min_observations: z.number().int().min(1).default(100),
        warning: z.number().positive().default(0.1),
        critical: z.number().positive().default(0.25),
        /** Critical drift in at least this many features raises a high alert (seed §6.1). */
        alert_features: z.number().int().min(1).default(3),
      })
      .strict()
      .prefault({}),
    score_shift: z
      .object({ warning: z.number().positive().default(2), critical: z.number().positive().default(3) })
      .strict()
      .prefault({}),
    /** Flagged = score ≥ this (A/B precision, recall, FPR); default: the `high` tier threshold. */
    operating_threshold: z.number().min(0).max(1).nullable().default(null),
    /** False-positive rate above the backtest baseline by more than this share: high alert. */
    fpr_increase: z.number().positive().default(0.2),
    /** The champion's labeled predictions of this many past hours make the live false-positive rate. */
    fpr_window_hours: z.number().positive().default(168),
    /** Labeled legitimate transactions needed in the window before the rate is judged. */
    fpr_min_negatives: z.number().int().min(1).default(1000),
    /** An SLA breach lasting this long: medium alert. */
    sla_breach_minutes: z.number().positive().default(5),
    /** How often alert conditions that need the log (FPR, SLA) are re-checked. */
    check_seconds: z.number().positive().default(10),
    auto_promotion: autoPromotionConfigSchema.prefault({}),
    guard: z
      .object({
        /** NaN/Inf from the champion also rolls Production back (ordinary rollback, actor `guard`). */
        auto_rollback: z.boolean().default(false),
        /** Critical drift in ≥ alert_features features or score shift ≥ critical also rolls back. */
        rollback_on_drift: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type MonitoringConfig = z.infer<typeof monitoringConfigSchema>;
