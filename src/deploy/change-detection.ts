import { canonicalJson, type ModelVersion, type Run } from "../registry/index.js";
import { parseRulesConfig } from "../rules/index.js";
import type { ChangeKind } from "./approval-policy.js";

/**
 * What a version scores with besides its trees: the settings whose change needs its own sign-off
 * (§4.3). Read from the version's tags, else its training run's params (`lakay train` records
 * `decision_threshold` and `rules_config`), else the defaults.
 */
export interface ScoringSettings {
  decisionThreshold: number;
  /** Risk-tier cut-offs (e.g. `{"high":0.8,"medium":0.5}`), canonical JSON; null when the version has none. */
  tierThresholds: string | null;
  /** Rules/ML blend: rule weights and category caps, or an explicit `hybrid_weights`; canonical JSON. */
  hybridWeights: string;
}

/** A change kind found by comparing a candidate with the Production version, and what differs. */
export interface DetectedChange {
  kind: ChangeKind;
  detail: string;
}

const DEFAULT_DECISION_THRESHOLD = 0.5;

/** The scoring settings of a version; `run` is its training run (null for a version without one). */
export function scoringSettingsOf(version: ModelVersion, run: Run | null): ScoringSettings {
  const pick = (key: string): string | undefined => version.tags[key] ?? run?.params[key] ?? run?.tags[key];
  const threshold = Number(pick("decision_threshold") ?? DEFAULT_DECISION_THRESHOLD);
  const tiers = pick("tier_thresholds");
  const explicitHybrid = pick("hybrid_weights");
  return {
    decisionThreshold: Number.isFinite(threshold) ? threshold : DEFAULT_DECISION_THRESHOLD,
    tierThresholds: tiers === undefined ? null : canonicalText(tiers),
    hybridWeights:
      explicitHybrid !== undefined ? canonicalText(explicitHybrid) : ruleWeights(pick("rules_config")),
  };
}

/**
 * Compares a candidate's settings with Production's: a different decision threshold or tier
 * thresholds is a `scoring_threshold_change`, different hybrid weights a `hybrid_weight_change`.
 * With no Production version nothing is detected (a first deployment changes nothing live).
 */
export function detectChanges(
  candidate: ScoringSettings,
  production: ScoringSettings | null,
): DetectedChange[] {
  if (!production) return [];
  const out: DetectedChange[] = [];
  if (Math.abs(candidate.decisionThreshold - production.decisionThreshold) > 1e-12) {
    out.push({
      kind: "scoring_threshold_change",
      detail: `decision threshold ${production.decisionThreshold} -> ${candidate.decisionThreshold}`,
    });
  } else if (candidate.tierThresholds !== production.tierThresholds) {
    out.push({
      kind: "scoring_threshold_change",
      detail: `tier thresholds ${production.tierThresholds ?? "none"} -> ${candidate.tierThresholds ?? "none"}`,
    });
  }
  if (candidate.hybridWeights !== production.hybridWeights) {
    out.push({
      kind: "hybrid_weight_change",
      detail: "hybrid weights (rule weights or category caps) differ",
    });
  }
  return out;
}

/** The rule weights and category caps of a `rules_config` param (defaults filled), canonical JSON. */
function ruleWeights(rulesConfig: string | undefined): string {
  let raw: unknown;
  try {
    raw = rulesConfig === undefined ? {} : JSON.parse(rulesConfig);
  } catch {
    return canonicalJson({ unparseable_rules_config: rulesConfig });
  }
  let config;
  try {
    config = parseRulesConfig(raw);
  } catch {
    return canonicalJson({ invalid_rules_config: raw });
  }
  const weights = Object.fromEntries(
    Object.entries(config.rules).map(([id, r]) => [id, r.enabled ? r.weight : 0]),
  );
  return canonicalJson({ rule_weights: weights, category_caps: config.category_caps });
}

function canonicalText(text: string): string {
  try {
    return canonicalJson(JSON.parse(text));
  } catch {
    return text.trim();
  }
}
