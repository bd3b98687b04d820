import { ValidationFailedError } from "../errors/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import { topContributions, type TreeExplainer } from "../gbdt/index.js";
import { RULE_DEFINITIONS, type FiredRule } from "../rules/index.js";

/** One feature's part in a decision, as the score answer and the explain endpoint show it. */
export interface ExplainedContribution {
  feature: string;
  /** The transaction's value of the feature (null when missing). */
  value: number | null;
  /** Margin (log-odds) contribution. */
  contribution: number;
  direction: "raises" | "lowers";
}

/** Why a transaction got its score: the model's reasons (TreeSHAP) and the rules that fired. */
export interface Explanation {
  /** The version whose trees are explained; null for a rules-only decision. */
  model: { name: string; version: number } | null;
  /** The model's expected margin before this transaction's values speak. */
  bias: number | null;
  /** bias + every feature's contribution = the model's margin, log(ml_score / (1 − ml_score)). */
  margin: number | null;
  /** The largest contributions, largest |contribution| first (zero ones left out). */
  contributions: ExplainedContribution[];
  /** The sum of the contributions not listed, so bias + listed + this = margin. */
  other_contribution: number | null;
  rules_triggered: FiredRule[];
  /** One sentence for the investigator. */
  summary: string;
}

/** What a decision was made from: the same facts at scoring time and, later, from the prediction log. */
export interface DecisionFacts {
  score: number;
  riskTier: string;
  /** Null when the decision was rules-only (ML off, no model, or a stopped variant). */
  mlScore: number | null;
  model: { name: string; version: number } | null;
  /** FEATURE_NAMES order. */
  features: ArrayLike<number>;
  rules: readonly { id: string; weight: number }[];
}

/**
 * A loaded version's explainer, taking serving's feature vector (FEATURE_NAMES order) as its
 * predictor does. Built once per loaded version, beside the compiled predictor; explaining one
 * transaction is synchronous and touches only this object's scratch (one thread).
 */
export class ServedExplainer {
  private readonly map: Int32Array;
  private readonly row: Float64Array;

  constructor(
    readonly featureNames: readonly string[],
    private readonly trees: TreeExplainer,
  ) {
    const names: readonly string[] = FEATURE_NAMES;
    this.map = Int32Array.from(featureNames, (f) => names.indexOf(f));
    const unknown = featureNames.filter((_, i) => this.map[i] < 0);
    if (unknown.length)
      throw new ValidationFailedError(
        `the model needs features serving does not compute: ${unknown.join(", ")}`,
      );
    this.row = new Float64Array(featureNames.length);
  }

  /** Contributions in model feature order, the values they were computed from, and the bias. */
  explain(features: ArrayLike<number>): { values: Float64Array; contributions: Float64Array; bias: number } {
    for (let i = 0; i < this.map.length; i++) this.row[i] = features[this.map[i]];
    const values = Float64Array.from(this.row);
    const { contributions, bias } = this.trees.explainRow(values);
    return { values, contributions, bias };
  }
}

const RULES_BY_ID = new Map(RULE_DEFINITIONS.map((d) => [d.id as string, d]));

/**
 * The explanation of one decision. A pure function of the facts and the version's explainer, so the
 * score answer, its idempotent replays and `GET /fraud/explain/{id}` (from the prediction log) all
 * say the same thing. `explainer` null (or a rules-only decision) gives the rules alone.
 */
export function explainDecision(
  facts: DecisionFacts,
  explainer: ServedExplainer | null,
  topFeatures: number,
): Explanation {
  const rules = facts.rules.map((r): FiredRule => {
    const def = RULES_BY_ID.get(r.id);
    return {
      id: r.id as FiredRule["id"],
      category: def?.category ?? ("unknown" as FiredRule["category"]),
      weight: r.weight,
      description: def?.description ?? "",
    };
  });
  if (facts.mlScore === null || facts.model === null || explainer === null) {
    return {
      model: null,
      bias: null,
      margin: null,
      contributions: [],
      other_contribution: null,
      rules_triggered: rules,
      summary: summaryOf(facts, null, rules),
    };
  }
  const { values, contributions, bias } = explainer.explain(facts.features);
  const top = topContributions(explainer.featureNames, values, contributions, topFeatures);
  let margin = bias;
  for (const c of contributions) margin += c;
  let listed = 0;
  for (const t of top) listed += t.contribution;
  const shown = top.map((t): ExplainedContribution => ({
    feature: t.feature,
    value: Number.isNaN(t.value) ? null : t.value,
    contribution: t.contribution,
    direction: t.contribution > 0 ? "raises" : "lowers",
  }));
  return {
    model: { name: facts.model.name, version: facts.model.version },
    bias,
    margin,
    contributions: shown,
    other_contribution: margin - bias - listed,
    rules_triggered: rules,
    summary: summaryOf(facts, shown, rules),
  };
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const signed = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: "always",
});

/**
 * "Score 0.91 (critical risk): the model (version 3, fraud probability 0.97) was pushed up by
 * amount 181,000 (+2.31) and balance_delta_sender −181,000 (+1.05) and down by hour_of_day 3
 * (−0.40); rules triggered: account_drained (weight 0.3)."
 */
function summaryOf(
  facts: DecisionFacts,
  shown: ExplainedContribution[] | null,
  rules: readonly FiredRule[],
): string {
  const head = `Score ${facts.score.toFixed(2)} (${facts.riskTier} risk)`;
  const ruleText = rules.length
    ? `rules triggered: ${listOf(rules.map((r) => `${r.id} (weight ${number.format(r.weight)})`))}`
    : "no rule triggered";
  if (shown === null) return `${head}, from the rules alone: ${ruleText}.`;
  const model = `the model (version ${facts.model!.version}, fraud probability ${facts.mlScore!.toFixed(2)})`;
  const part = (c: ExplainedContribution) =>
    `${c.feature} ${c.value === null ? "missing" : number.format(c.value)} (${signed.format(c.contribution)})`;
  const up = shown.filter((c) => c.direction === "raises").map(part);
  const down = shown.filter((c) => c.direction === "lowers").map(part);
  const pushes = [up.length ? `pushed up by ${listOf(up)}` : "", down.length ? `down by ${listOf(down)}` : ""]
    .filter(Boolean)
    .join(" and ");
  const why = pushes
    ? `${model} was ${pushes}`
    : `${model} found nothing here that moved it from its baseline`;
  return `${head}: ${why}; ${ruleText}.`;
}

function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
