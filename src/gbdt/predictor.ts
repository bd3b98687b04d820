import type { RegressionTree } from "./tree.js";
import { treeLeafValue } from "./tree.js";

/** Scores rows with a fixed ensemble. Probabilities by default; margins (log-odds) on request. */
export interface Predictor {
  /** Feature names in the order `predictRow` expects values. */
  readonly featureNames: readonly string[];
  /** Probability of the positive class for one row (values in `featureNames` order; NaN = missing). */
  predictRow(values: ArrayLike<number>): number;
  /** Raw margin (log-odds) for one row. */
  predictMargin(values: ArrayLike<number>): number;
  /** Scores `nRows` rows given column-wise (one array per feature, model order). */
  predictBatch(
    columns: readonly ArrayLike<number>[],
    nRows: number,
    out?: Float64Array,
    opts?: { margin?: boolean },
  ): Float64Array;
}

/** Margin of a logistic model whose prior probability is `baseScore`, in float32 as XGBoost has it. */
export function baseMargin(baseScore: number): number {
  return Math.fround(-Math.log(1 / baseScore - 1));
}

/** The logistic link, rounded to float32 like XGBoost's output. */
export function sigmoid32(margin: number): number {
  return Math.fround(1 / (1 + Math.exp(-margin)));
}

/**
 * The plain interpreter: walks each tree's own arrays. Slow and obvious on purpose; the compiled
 * predictor is tested against it.
 */
export class InterpretedPredictor implements Predictor {
  private readonly margin0: number;

  constructor(
    readonly featureNames: readonly string[],
    private readonly trees: readonly RegressionTree[],
    baseScore: number,
  ) {
    this.margin0 = baseMargin(baseScore);
  }

  predictMargin(values: ArrayLike<number>): number {
    let acc = this.margin0;
    for (const t of this.trees) acc = Math.fround(acc + treeLeafValue(t, values));
    return acc;
  }

  predictRow(values: ArrayLike<number>): number {
    return sigmoid32(this.predictMargin(values));
  }

  predictBatch(
    columns: readonly ArrayLike<number>[],
    nRows: number,
    out = new Float64Array(nRows),
    opts: { margin?: boolean } = {},
  ): Float64Array {
    const row = new Float64Array(columns.length);
    for (let r = 0; r < nRows; r++) {
      for (let f = 0; f < columns.length; f++) row[f] = columns[f][r];
      out[r] = opts.margin ? this.predictMargin(row) : this.predictRow(row);
    }
    return out;
  }
}
