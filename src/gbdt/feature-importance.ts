import type { RegressionTree } from "./tree.js";

/**
 * XGBoost's split-based importances of one feature (`Booster.get_score`): `weight` is how many
 * splits use it, `total_gain` / `total_cover` sum the splits' loss change and cover (hessian sum),
 * and `gain` / `cover` are those sums divided by `weight`, as XGBoost reports them.
 */
export interface SplitImportance {
  weight: number;
  gain: number;
  cover: number;
  total_gain: number;
  total_cover: number;
}

/**
 * Split importances per feature in model order; a feature no split uses has all zeros (XGBoost
 * leaves it out of `get_score`). Sums are in float64 over XGBoost's float32 node statistics.
 */
export function splitImportance(trees: readonly RegressionTree[], nFeatures: number): SplitImportance[] {
  const out = Array.from({ length: nFeatures }, () => ({
    weight: 0,
    gain: 0,
    cover: 0,
    total_gain: 0,
    total_cover: 0,
  }));
  for (const t of trees)
    for (let i = 0; i < t.leftChildren.length; i++) {
      if (t.leftChildren[i] === -1) continue;
      const s = out[t.splitIndices[i]];
      s.weight += 1;
      s.total_gain += t.lossChanges[i];
      s.total_cover += t.sumHessian[i];
    }
  for (const s of out)
    if (s.weight > 0) {
      s.gain = s.total_gain / s.weight;
      s.cover = s.total_cover / s.weight;
    }
  return out;
}

/** Mean |contribution| of each feature over rows of row-major contributions (features then bias). */
export function meanAbsContribution(contribs: Float64Array, nRows: number, nFeatures: number): Float64Array {
  const out = new Float64Array(nFeatures);
  const width = nFeatures + 1;
  for (let r = 0; r < nRows; r++)
    for (let f = 0; f < nFeatures; f++) out[f] += Math.abs(contribs[r * width + f]);
  if (nRows > 0) for (let f = 0; f < nFeatures; f++) out[f] /= nRows;
  return out;
}
