import type { RegressionTree } from "./tree.js";
import { compileTreeShapKernel, type TreeShapKernel } from "./tree-shap-kernel.js";
import { buildTreeShapProgram, type TreeShapProgram } from "./tree-shap-program.js";

/** One row's explanation: a contribution per model feature (model order) and the bias. */
export interface RowExplanation {
  /** Margin (log-odds) contribution of each feature; with `bias` they sum to the row's margin. */
  contributions: Float64Array;
  /** The same for every row: the model's expected margin (trees' cover-weighted means + base margin). */
  bias: number;
}

/** One feature's part in a row's score, as an investigator reads it. */
export interface FeatureContribution {
  feature: string;
  /** The row's value of the feature (NaN when missing). */
  value: number;
  /** Margin (log-odds) contribution: > 0 pushes toward fraud. */
  contribution: number;
}

/**
 * Exact per-prediction feature contributions (TreeSHAP), equal to XGBoost's
 * `predict(..., pred_contribs=True)`: the path-dependent algorithm over each node's cover
 * (`sum_hess`), missing values taking the default branch as in prediction. The model is
 * flattened once here; `explainRow` and `explainBatch` allocate nothing per row beyond their
 * result. Not safe to share between threads (one scratch); `ParallelExplainer` runs workers.
 */
export class TreeExplainer {
  readonly program: TreeShapProgram;
  private readonly kernel: TreeShapKernel;
  private readonly row: Float32Array;
  private readonly rowOut: Float64Array;

  constructor(
    readonly featureNames: readonly string[],
    trees: readonly RegressionTree[],
    baseScore: number,
  ) {
    this.program = buildTreeShapProgram(trees, featureNames.length, baseScore);
    this.kernel = compileTreeShapKernel(this.program);
    this.row = new Float32Array(featureNames.length);
    this.rowOut = new Float64Array(featureNames.length + 1);
  }

  /** The bias column: what every row starts from before its features speak. */
  get bias(): number {
    return this.program.bias;
  }

  /**
   * Contributions for one row (values in `featureNames` order; NaN = missing). Writes into `out`
   * when given (length >= features), so a server can explain with no allocation at all.
   */
  explainRow(values: ArrayLike<number>, out?: Float64Array): RowExplanation {
    const nf = this.featureNames.length;
    if (values.length !== nf) throw new RangeError(`expected ${nf} feature values, got ${values.length}`);
    for (let f = 0; f < nf; f++) this.row[f] = values[f];
    this.kernel.explainRow(this.row, this.rowOut, 0);
    const contributions = out ?? new Float64Array(nf);
    contributions.set(this.rowOut.subarray(0, nf));
    return { contributions, bias: this.rowOut[nf] };
  }

  /**
   * Contributions for `nRows` rows given column-wise (model feature order): row-major, each row
   * `nFeatures` contributions then the bias, the layout of XGBoost's `pred_contribs` output.
   */
  explainBatch(
    columns: readonly ArrayLike<number>[],
    nRows: number,
    out = new Float64Array(nRows * (this.featureNames.length + 1)),
  ): Float64Array {
    const nf = this.featureNames.length;
    if (columns.length !== nf) throw new RangeError(`expected ${nf} feature columns, got ${columns.length}`);
    if (out.length < nRows * (nf + 1)) throw new RangeError(`output holds fewer than ${nRows} rows`);
    this.kernel.explainRows(columns, 0, nRows, out, 0);
    return out;
  }

  /** The `n` contributions largest in absolute value, largest first (ties: model feature order). */
  top(values: ArrayLike<number>, contributions: ArrayLike<number>, n: number): FeatureContribution[] {
    return topContributions(this.featureNames, values, contributions, n);
  }
}

/**
 * The `n` features with the largest |contribution|, largest first; ties keep model feature
 * order so the same row always reads the same. Zero contributions are left out (a feature no
 * tree uses says nothing about the row).
 */
export function topContributions(
  featureNames: readonly string[],
  values: ArrayLike<number>,
  contributions: ArrayLike<number>,
  n: number,
): FeatureContribution[] {
  const order: number[] = [];
  for (let f = 0; f < featureNames.length; f++) if (contributions[f] !== 0) order.push(f);
  order.sort((a, b) => Math.abs(contributions[b]) - Math.abs(contributions[a]) || a - b);
  return order.slice(0, Math.max(0, n)).map((f) => ({
    feature: featureNames[f],
    value: values[f],
    contribution: contributions[f],
  }));
}
