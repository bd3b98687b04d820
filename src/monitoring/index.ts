/**
 * Monitoring and experiments (issue #15): PSI drift against reference.json, score shift, A/B
 * statistics with intervals, the always-valid sequential test behind auto-promotion, alert rules.
 */
export * from "./psi.js";
export { LatencyWindow } from "./latency-window.js";
export * from "./drift-window.js";
export * from "./score-shift.js";
export * from "./intervals.js";
export * from "./ab-statistics.js";
export * from "./sequential-test.js";
export * from "./auto-promotion.js";
export * from "./ab-simulation.js";
export * from "./monitoring-config.js";
export * from "./alert-book.js";
export * from "./webhooks.js";
export { PredictionLogWriter, type PredictionLogWriterOptions } from "./prediction-log-writer.js";
export { PredictionRecords } from "./prediction-records.js";
export type { PredictionLogRow, MonitoringDatabase } from "./store/monitoring-tables.js";
export { MONITORING_MIGRATIONS } from "./store/migrations/index.js";
export {
  insertPredictions,
  countPredictions,
  labeledPredictions,
  predictionsSince,
  type LabeledPrediction,
} from "./store/prediction-log-store.js";
export {
  recordLabels,
  labelTotals,
  labelHistory,
  type OutcomeLabel,
  type LabelImportReport,
} from "./store/label-store.js";
export * from "./live-monitor.js";
export * from "./experiment-analysis.js";
export * from "./auto-promotion-request.js";
export * from "./fpr-increase.js";
export * from "./prediction-log-purge.js";
export { labeledBacktestData, backtestDataOf, LABELED_BACKTEST_ROW_CAP } from "./labeled-backtest-data.js";
export { championFalsePositives, latestLabelId } from "./store/false-positive-store.js";
