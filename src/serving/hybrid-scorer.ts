import type { Recommendation, RiskTier, ScoringConfig } from "./serving-config.js";

/** The combined verdict on one transaction. */
export interface HybridVerdict {
  score: number;
  riskTier: RiskTier;
  recommendation: Recommendation;
  /** True when the ML score took part (false in rules-only mode or with the `rules_only` strategy). */
  usedMl: boolean;
}

/**
 * Combines the rule score with the routed model's score (seed §6.3, "HybridScoringConfig").
 * `mlScore` is null when ML is off or no model is loaded; every strategy then falls back to the
 * rule score, so an emergency switch-off never leaves a transaction unscored.
 */
export function hybridVerdict(
  config: ScoringConfig,
  ruleScore: number,
  mlScore: number | null,
): HybridVerdict {
  const blended = mlBlend(config.hybrid, ruleScore, mlScore);
  // NaN: ML took no part
  const usedMl = blended === blended;
  const score = clampScore(usedMl ? blended : ruleScore);
  const riskTier = tierOf(config, score);
  return { score, riskTier, recommendation: config.recommendations[riskTier], usedMl };
}

/**
 * The strategy's combination of the two scores, or NaN when the ML score takes no part: ML off
 * (`mlScore` null), the `rules_only` strategy, or a non-finite combination (a model answering NaN,
 * seed §6.1 "Critical", must not let a transaction through silently). Then the rule score stands.
 * Allocates nothing: the batch path calls it once per transaction.
 */
export function mlBlend(h: ScoringConfig["hybrid"], ruleScore: number, mlScore: number | null): number {
  if (mlScore === null || h.strategy === "rules_only") return NaN;
  let score: number;
  if (h.strategy === "weighted_average") score = h.rule_weight * ruleScore + h.ml_weight * mlScore;
  else if (h.strategy === "max") score = Math.max(ruleScore, mlScore);
  else score = mlScore;
  return Number.isFinite(score) ? score : NaN;
}

/** A score clamped into [0, 1]. */
export function clampScore(score: number): number {
  return Math.min(1, Math.max(0, score));
}

/** The highest tier whose threshold `score` reaches. */
export function tierOf(config: ScoringConfig, score: number): RiskTier {
  const t = config.risk_tiers;
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}
