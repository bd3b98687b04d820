/**
 * Lakay's gradient-boosting engine: XGBoost-`hist`-style training, XGBoost JSON model files in
 * both directions, and a compiled predictor. No I/O here: typed arrays in, typed arrays out.
 */
export {
  trainBooster,
  type TrainingData,
  type EvalSet,
  type TrainOptions,
  type RoundInfo,
} from "./trainer.js";
export { Booster, type TrainingSummary } from "./booster.js";
export { type Predictor, InterpretedPredictor, sigmoid32, baseMargin } from "./predictor.js";
export { CompiledPredictor } from "./compiled-predictor.js";
export {
  parseBoosterParams,
  boosterParamsSchema,
  EVAL_METRICS,
  type BoosterParams,
  type BoosterParamsInput,
  type EvalMetric,
} from "./params.js";
export { aucRoc, aucPr, logloss, rankingMetrics, type RankingMetrics } from "./metrics.js";
export type { RegressionTree } from "./tree.js";
export { ParallelBatchPredictor } from "./parallel-batch.js";
export { ProgramWorker, workerProgramSource, WORKER_GLOBALS, type WorkerProgram } from "./function-worker.js";
export {
  TreeExplainer,
  topContributions,
  type RowExplanation,
  type FeatureContribution,
} from "./tree-shap.js";
export { ParallelExplainer } from "./parallel-explain.js";
export { splitImportance, meanAbsContribution, type SplitImportance } from "./feature-importance.js";
