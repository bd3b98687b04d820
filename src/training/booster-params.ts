import type { BoosterParamsInput } from "../gbdt/index.js";
import type { Hyperparams } from "./training-config.js";

/** The engine's parameters for one training: config hyperparameters + the class weight + the seed. */
export function boosterParams(h: Hyperparams, scalePosWeight: number, seed: number): BoosterParamsInput {
  const p: BoosterParamsInput = {
    objective: "binary:logistic",
    tree_method: "hist",
    n_estimators: h.n_estimators,
    max_depth: h.max_depth,
    learning_rate: h.learning_rate,
    subsample: h.subsample,
    colsample_bytree: h.colsample_bytree,
    min_child_weight: h.min_child_weight,
    scale_pos_weight: h.scale_pos_weight ?? scalePosWeight,
    eval_metric: h.eval_metric,
    seed,
  };
  if (h.reg_lambda !== undefined) p.reg_lambda = h.reg_lambda;
  if (h.reg_alpha !== undefined) p.reg_alpha = h.reg_alpha;
  if (h.gamma !== undefined) p.gamma = h.gamma;
  if (h.max_bin !== undefined) p.max_bin = h.max_bin;
  return p;
}

/** negatives / positives of the training labels: XGBoost's usual weight for a rare positive class. */
export function classRatio(labels: ArrayLike<number>, rows: Uint32Array): number {
  let pos = 0;
  for (let k = 0; k < rows.length; k++) pos += labels[rows[k]];
  return pos === 0 ? 1 : (rows.length - pos) / pos;
}
