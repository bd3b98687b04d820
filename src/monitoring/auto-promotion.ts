import { z } from "zod";
import { confidenceSequence, type ConfidenceSequencePoint } from "./sequential-test.js";

/** Metrics auto-promotion can compare; for the false-positive rate lower is better. */
export const AUTO_PROMOTION_METRICS = ["precision", "recall", "false_positive_rate"] as const;
export type AutoPromotionMetric = (typeof AUTO_PROMOTION_METRICS)[number];

/** The seed's `AutoPromotionConfig` (§5.5), same fields and defaults, plus the test's τ. */
export const autoPromotionConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Labeled observations of the metric per variant before any decision. */
    min_observations: z.number().int().min(1).default(1000),
    metric: z.enum(AUTO_PROMOTION_METRICS).default("precision"),
    /** Relative improvement of the challenger's point estimate over the champion's (0.05 = 5 %). */
    improvement_threshold: z.number().min(0).max(10).default(0.05),
    confidence_level: z.number().gt(0.5).lt(1).default(0.95),
    /** Mixing standard deviation of the always-valid test (the difference it finds fastest). */
    tau: z.number().positive().max(1).default(0.05),
    /** When it fires, the backtest uses the labeled predictions of this many past days. */
    backtest_days: z.number().positive().default(30),
  })
  .strict();
export type AutoPromotionConfig = z.infer<typeof autoPromotionConfigSchema>;

/** Successes and trials of the metric for one variant (precision: TP of flagged labeled). */
export interface MetricCounts {
  successes: number;
  trials: number;
}

export interface AutoPromotionDecision {
  promote: boolean;
  reason: string;
  metric: AutoPromotionMetric;
  champion: MetricCounts & { value: number | null };
  challenger: MetricCounts & { value: number | null };
  /** Always-valid interval on the improvement (challenger − champion; champion − challenger for FPR). */
  improvement: ConfidenceSequencePoint | null;
  relative_improvement: number | null;
  test: "mSPRT (normal mixture), always valid";
  confidence_level: number;
  min_observations: number;
  improvement_threshold: number;
}

/** Counts for the metric from confusion counts. */
export function metricCounts(
  metric: AutoPromotionMetric,
  c: { tp: number; fp: number; fn: number; tn: number },
): MetricCounts {
  if (metric === "precision") return { successes: c.tp, trials: c.tp + c.fp };
  if (metric === "recall") return { successes: c.tp, trials: c.tp + c.fn };
  return { successes: c.fp, trials: c.fp + c.tn };
}

/**
 * The decision, safe to re-check after every label: promote only when both variants have
 * `min_observations`, the always-valid interval on the improvement lies above 0, and the estimated
 * relative improvement reaches `improvement_threshold`.
 */
export function autoPromotionDecision(
  config: AutoPromotionConfig,
  champion: MetricCounts,
  challenger: MetricCounts,
): AutoPromotionDecision {
  const lowerIsBetter = config.metric === "false_positive_rate";
  const value = (m: MetricCounts) => (m.trials ? m.successes / m.trials : null);
  const base = {
    metric: config.metric,
    champion: { ...champion, value: value(champion) },
    challenger: { ...challenger, value: value(challenger) },
    test: "mSPRT (normal mixture), always valid" as const,
    confidence_level: config.confidence_level,
    min_observations: config.min_observations,
    improvement_threshold: config.improvement_threshold,
  };
  const [a, b] = lowerIsBetter ? [challenger, champion] : [champion, challenger];
  const improvement = confidenceSequence(a.successes, a.trials, b.successes, b.trials, {
    confidenceLevel: config.confidence_level,
    tau: config.tau,
  });
  const cv = value(champion);
  const relative = improvement && cv ? improvement.difference / cv : null;
  const out = { ...base, improvement, relative_improvement: relative };
  if (!config.enabled) return { ...out, promote: false, reason: "auto-promotion is disabled" };
  if (champion.trials < config.min_observations || challenger.trials < config.min_observations)
    return {
      ...out,
      promote: false,
      reason: `fewer than ${config.min_observations} labeled observations per variant`,
    };
  if (!improvement || improvement.lower <= 0)
    return {
      ...out,
      promote: false,
      reason: "the always-valid interval on the improvement still includes 0",
    };
  if (relative === null || relative < config.improvement_threshold)
    return {
      ...out,
      promote: false,
      reason: `estimated relative improvement below ${config.improvement_threshold}`,
    };
  return { ...out, promote: true, reason: "challenger better with always-valid confidence" };
}
