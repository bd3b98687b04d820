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
  const h = config.hybrid;
  let score: number;
  let usedMl = mlScore !== null && h.strategy !== "rules_only";
  if (mlScore === null || h.strategy === "rules_only") score = ruleScore;
  else if (h.strategy === "weighted_average") score = h.rule_weight * ruleScore + h.ml_weight * mlScore;
  else if (h.strategy === "max") score = Math.max(ruleScore, mlScore);
  else score = mlScore;
  if (!Number.isFinite(score)) {
    // A model answering NaN (seed §6.1: "Critical") must not let a transaction through silently.
    score = ruleScore;
    usedMl = false;
  }
  score = Math.min(1, Math.max(0, score));
  const riskTier = tierOf(config, score);
  return { score, riskTier, recommendation: config.recommendations[riskTier], usedMl };
}

/** The highest tier whose threshold `score` reaches. */
export function tierOf(config: ScoringConfig, score: number): RiskTier {
  const t = config.risk_tiers;
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}
