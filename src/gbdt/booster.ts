import { CompiledPredictor } from "./compiled-predictor.js";
import { InterpretedPredictor, type Predictor } from "./predictor.js";
import type { RegressionTree } from "./tree.js";
import { TreeExplainer } from "./tree-shap.js";
import { readXgboostJson } from "./xgboost-json-reader.js";
import { writeXgboostJson } from "./xgboost-json-writer.js";

/** What training measured, kept beside the model (not written into the model file). */
export interface TrainingSummary {
  /** Trees kept in the model (after early stopping). */
  rounds: number;
  /** Rounds actually run. */
  roundsRun: number;
  /** Zero-based index of the best round when early stopping was on. */
  bestIteration?: number;
  evalMetric: string;
  /** Eval-set metric per round (empty when per-round evaluation was off). */
  evalHistory: number[];
  /** Final metrics on the eval set (absent without one). */
  evalMetrics?: { auc: number; aucpr: number; logloss: number };
  trainSeconds: number;
  threads: number;
}

/**
 * A binary-logistic tree ensemble: what training produces and what a model file holds. Plain
 * data; `compile()` turns it into the fast predictor serving uses.
 */
export class Booster {
  /** Set by `trainBooster`; absent on a booster loaded from a file. */
  training?: TrainingSummary;

  constructor(
    readonly featureNames: readonly string[],
    readonly trees: readonly RegressionTree[],
    /** Prior probability; the margin starts at its log-odds. */
    readonly baseScore: number,
    readonly scalePosWeight = 1,
    readonly attributes: Readonly<Record<string, string>> = {},
    readonly featureTypes: readonly string[] = featureNames.map(() => "float"),
  ) {}

  /** XGBoost's JSON model document; the same booster always gives the same bytes. */
  toXgboostJson(): string {
    return writeXgboostJson(this);
  }

  /**
   * Loads a model written by XGBoost (1.7, 2.x) or by Lakay. Throws `BadInputError` for a
   * document that is not an XGBoost model and `ValidationFailedError` naming what is unsupported
   * (multiclass, categorical splits, another objective or booster).
   */
  static fromXgboostJson(text: string, source?: string): Booster {
    const d = readXgboostJson(text, source);
    return new Booster(d.featureNames, d.trees, d.baseScore, d.scalePosWeight, d.attributes, d.featureTypes);
  }

  /** The fast predictor (packed flat trees); agrees with XGBoost to float32 precision. */
  compile(): CompiledPredictor {
    return new CompiledPredictor(this.featureNames, this.trees, this.baseScore);
  }

  /** The slow reference predictor the compiled one is tested against. */
  interpreter(): Predictor {
    return new InterpretedPredictor(this.featureNames, this.trees, this.baseScore);
  }

  /** Exact per-row feature contributions (TreeSHAP), equal to XGBoost's `pred_contribs`. */
  explainer(): TreeExplainer {
    return new TreeExplainer(this.featureNames, this.trees, this.baseScore);
  }

  get numTrees(): number {
    return this.trees.length;
  }
}
