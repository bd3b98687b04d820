import type { VersionLoader } from "../deploy/index.js";
import { NotFoundError } from "../errors/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import type { LiveMonitor, PredictionLogRow } from "../monitoring/index.js";
import type { Registry } from "../registry/index.js";
import { explainDecision, type Explanation, type ServedExplainer } from "./explanation.js";
import type { ModelServer } from "./model-server.js";
import type { ScoreResponse } from "./scoring-service.js";
import { explainerOf } from "./served-model.js";

/** A past decision, as the prediction log holds it, with its explanation. */
export interface ExplainedDecision {
  transaction_id: string;
  scored_at: string;
  variant: string;
  model: { name: string; version: number } | null;
  score: number;
  risk_tier: string;
  ml_score: number | null;
  rule_score: number;
  explanation: Explanation;
}

export interface ExplanationServiceOptions {
  registry: Registry;
  models: ModelServer;
  loader: VersionLoader;
  monitor: LiveMonitor | null;
  topFeatures: number;
  /** Explainers kept for versions no longer served, least recently used dropped first. */
  cachedVersions: number;
  /** The features (by name) an answer was computed from, while the idempotency cache holds it. */
  featuresOf: (response: ScoreResponse) => Record<string, number> | undefined;
}

/**
 * Explanations for `lakay serve`. A served version's explainer is the one built beside its
 * predictor; a version no longer served (a decision made before a promotion) is loaded once
 * through the one model loader and kept in a small LRU, so a past decision is explained with the
 * trees that made it.
 */
export class ExplanationService {
  private readonly retired = new Map<number, Promise<ServedExplainer | null>>();

  constructor(private readonly opts: ExplanationServiceOptions) {}

  /**
   * The explanation of a score answer (first or replayed), from the features it was computed from;
   * an answer the idempotency cache has already forgotten is explained from the prediction log.
   */
  async forAnswer(response: ScoreResponse): Promise<Explanation> {
    const named = this.opts.featuresOf(response);
    if (!named) return (await this.forTransaction(response.transaction_id)).explanation;
    const features = FEATURE_NAMES.map((f) => named[f]);
    const explainer = response.model ? await this.explainerFor(response.model.version) : null;
    return explainDecision(
      {
        score: response.score,
        riskTier: response.risk_tier,
        mlScore: response.ml_score,
        model: response.model,
        features,
        rules: response.rules_triggered,
      },
      explainer,
      this.opts.topFeatures,
    );
  }

  /**
   * Recomputes the explanation of a logged decision with the version that made it. 404 when the
   * prediction log does not hold the transaction (unknown, sampled out, or logging off).
   */
  async forTransaction(transactionId: string): Promise<ExplainedDecision> {
    const row = await this.opts.monitor?.loggedPrediction(transactionId);
    if (!row)
      throw new NotFoundError(
        this.opts.monitor?.writer
          ? `transaction ${transactionId} is not in ${this.opts.models.modelName}'s prediction log (never scored here, or sampled out)`
          : `the prediction log is off (monitoring.prediction_log.enabled): no past decision to explain`,
      );
    const usedMl = row.ml_score !== null && row.model_version !== null;
    const model = usedMl ? { name: row.model, version: Number(row.model_version) } : null;
    const facts = {
      score: Number(row.score),
      riskTier: row.risk_tier,
      mlScore: usedMl ? Number(row.ml_score) : null,
      model,
      features: FEATURE_NAMES.map((f) => Number(row[f])),
      rules: rulesOf(row),
    };
    const explainer = model ? await this.explainerFor(model.version) : null;
    return {
      transaction_id: row.transaction_id,
      scored_at: row.ts,
      variant: row.variant,
      model,
      score: facts.score,
      risk_tier: row.risk_tier,
      ml_score: facts.mlScore,
      rule_score: Number(row.rule_score),
      explanation: explainDecision(facts, explainer, this.opts.topFeatures),
    };
  }

  /** A version's explainer: the served one's if it is served, else loaded once and cached. */
  private async explainerFor(version: number): Promise<ServedExplainer | null> {
    const { champion, challenger } = this.opts.models.models;
    for (const m of [champion, challenger]) if (m && m.version === version) return m.explainer;
    let entry = this.retired.get(version);
    if (entry) {
      this.retired.delete(version); // refresh its recency
    } else {
      const { registry, loader } = this.opts;
      const loading = loader(registry, this.opts.models.modelName, version).then(explainerOf);
      // A failed load is not kept: the next request tries again.
      loading.catch(() => this.retired.get(version) === loading && this.retired.delete(version));
      entry = loading;
    }
    this.retired.set(version, entry);
    while (this.retired.size > this.opts.cachedVersions)
      this.retired.delete(this.retired.keys().next().value as number);
    return entry;
  }
}

/** The logged rules, `[{id, weight}]` (null in rows logged before rules were kept: none known). */
function rulesOf(row: PredictionLogRow): { id: string; weight: number }[] {
  if (!row.rules_triggered) return [];
  return (JSON.parse(row.rules_triggered) as { id: string; weight: number }[]).map((r) => ({
    id: r.id,
    weight: Number(r.weight),
  }));
}
