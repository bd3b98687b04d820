/**
 * The deployment pipeline: validation gate, backtest, approvals, promotion, rollback and deployment
 * history. A library API (the CLI and the serving layer call the same functions); every state
 * change and its audit entry commit in one registry transaction, and refused operations are
 * recorded too.
 */
export { validateModel, type ValidateModelOptions } from "./validate-model.js";
export {
  runBacktest,
  runBacktestOnData,
  type BacktestData,
  type BacktestOptions,
  type BacktestReport,
} from "./run-backtest.js";
export { promotionBaseline, type PromotionBaseline } from "./promotion-baseline.js";
export { backtestBias, flagsSideBySide, type BacktestBias, type BiasFlagSummary } from "./backtest-bias.js";
export {
  recordApproval,
  approvalStatus,
  assertApproved,
  type ApprovalStatusOptions,
  type RecordApprovalOptions,
  type ApprovalOutcome,
} from "./record-approval.js";
export { promoteToProduction, gateReportOf, type PromoteOptions } from "./promote-to-production.js";
export {
  evaluateGate,
  gateFailures,
  GATE_STATUSES,
  type GateCondition,
  type GateInput,
  type GateOverrides,
  type GateReport,
  type GateStatus,
  type GateReader,
} from "./promotion-gate.js";
export { checkPromotionGate, type GateCheckOptions } from "./promotion-gate-check.js";
export { transitionStage, checkManualAlias, type StageTransitionOptions } from "./stage-transition.js";
export { aliasesFollowStages } from "./aliases-follow.js";
export {
  scoringSettingsOf,
  detectChanges,
  type ScoringSettings,
  type DetectedChange,
} from "./change-detection.js";
export { identityKey, sameIdentity } from "./identity.js";
export { rollback, type RollbackOptions } from "./rollback.js";
export { archiveProduction, type ArchiveOptions } from "./archive-production.js";
export { deploymentHistory } from "./deployment-history.js";
export { deploymentRecordOf } from "./deployment-error.js";
export {
  DEPLOYMENT_ACTIONS,
  type DeploymentAction,
  type DeploymentRecord,
  type StoredValidation,
} from "./deployment-record.js";
export {
  CHANGE_KINDS,
  isChangeKind,
  approvalPolicySchema,
  defaultApprovalPolicy,
  loadApprovalPolicy,
  policyFromConfig,
  knownRoles,
  DEFAULT_APPROVAL_REQUIREMENTS,
  DEFAULT_BACKTEST_MAX_AGE_DAYS,
  type ApprovalPolicy,
  type ChangeKind,
  type ChangeRequirement,
} from "./approval-policy.js";
export {
  evaluateApprovals,
  APPROVAL_DECISIONS,
  type Approval,
  type ApprovalDecision,
  type ApprovalEvaluation,
} from "./approval-evaluation.js";
export {
  compareBacktest,
  BACKTEST_METRICS,
  BACKTEST_TOLERANCES,
  type BacktestComparison,
  type BacktestMetrics,
  type BacktestRow,
  type ToleranceRule,
} from "./backtest-comparison.js";
export {
  runValidationChecks,
  VALIDATION_CHECKS,
  DEFAULT_LATENCY_SLA_MS,
  type ScorePredictor,
  type ValidationReport,
  type ValidationStep,
  type ValidationDetails,
} from "./validation-checks.js";
export {
  drawValidationVectors,
  SYNTHETIC_VECTOR_COUNT,
  type FeatureHistogram,
} from "./validation-vectors.js";
export { loadRegisteredVersion, type LoadedVersion, type VersionLoader } from "./version-loader.js";
export { versionDigest } from "./version-digest.js";
export {
  deploymentRecordJson,
  validationJson,
  backtestJson,
  approvalJson,
  approvalStatusJson,
  gateJson,
} from "./json-shapes.js";
export { DEPLOY_MIGRATIONS } from "./store/migrations/index.js";
export type { DeployDatabase } from "./store/deploy-tables.js";
