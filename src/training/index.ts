/**
 * The training pipeline and its building blocks: split and cross-validation, metrics, reports,
 * the reference profile for drift monitoring, and the training config.
 */
export { stratifiedSplit, type SplitIndices } from "./stratified-split.js";
export { stratifiedKFold } from "./stratified-kfold.js";
export { gatherColumns } from "./gather-rows.js";
export { rankingMetrics, type RankingMetrics } from "../gbdt/index.js";
export {
  confusionAt,
  metricsFromConfusion,
  thresholdMetrics,
  type ConfusionMatrix,
  type ThresholdMetrics,
} from "./classification-metrics.js";
export { classificationReport } from "./classification-report.js";
export { compareMlWithRules, type MlVsRulesComparison } from "./ml-vs-rules.js";
export { buildReferenceProfile, type Histogram, type ReferenceProfile } from "./reference-profile.js";
export {
  TRAINING_DEFAULTS,
  CV_SCORINGS,
  trainingConfigSchema,
  parseTrainingConfig,
  loadTrainingConfig,
  configRegistryUri,
  canonicalScoring,
  expandGrid,
  type TrainingConfig,
  type Hyperparams,
  type CvScoring,
  type TunableParam,
} from "./training-config.js";
export {
  runTrainingPipeline,
  type TrainPipelineOptions,
  type TrainResult,
  type TrainProgress,
  type TrainMetrics,
} from "./pipeline.js";
export {
  gridSearchCv,
  CV_PARALLEL_MODES,
  type CvParallelMode,
  type GridSearchResult,
  type CandidateResult,
} from "./grid-search.js";
export { ARTIFACT_FILES, writeArtifactFolder } from "./artifact-folder.js";
export { predictParallel } from "./parallel-predict.js";
export {
  trainOnFeatureMatrix,
  type MatrixTrainingOptions,
  type MatrixTrainingResult,
} from "./matrix-training.js";
export { scoreDataset, type BatchScoreOptions, type BatchScoreSummary } from "./batch-score.js";
export {
  loadModel,
  loadRegisteredVersion,
  type LoadedModel,
  type ModelSourceOptions,
  type ReferenceHistogram,
} from "./model-loader.js";
export {
  biasAudit,
  wilsonInterval,
  type BiasAuditInput,
  type BiasAuditResult,
  type BiasFlag,
  type BiasFlagMetric,
  type OverallMetrics,
  type SegmentMetrics,
  type SegmentRate,
  type SegmentStatus,
  type Rate,
} from "./bias-audit.js";
export {
  BIAS_AUDIT_DEFAULTS,
  BIAS_DIMENSIONS,
  biasAuditConfigSchema,
  parseBiasAuditConfig,
  loadBiasAuditConfig,
  type BiasAuditConfig,
  type BiasDimension,
} from "./bias-audit-config.js";
export {
  segmentRows,
  segmentationsAt,
  CUSTOMER_HISTORY_SEGMENTS,
  type Segmentation,
} from "./bias-segments.js";
export { biasReport, flagLines, type BiasReport, type ThresholdSource } from "./bias-report.js";
export {
  auditVersionBias,
  recordBiasReport,
  type RecordedBiasReport,
  type VersionBiasAuditOptions,
} from "./version-bias-audit.js";
export { scoreFeatureMatrix } from "./score-features.js";
export { writeContributionsCsv } from "./contributions-csv.js";
