import type { BiasAuditResult } from "./bias-audit.js";

/** Where the decision threshold of a report came from. */
export type ThresholdSource = "option" | "training_run" | "default";

/**
 * The bias report as stored and printed (`lakay bias-audit --json`, `bias_audit.json` beside a trained
 * model, a backtest's per-version reports): what was scored, by which version, at which threshold,
 * then the audit itself.
 */
export interface BiasReport extends BiasAuditResult {
  model: string;
  /** Null in `lakay train`'s artifact: the version number is given after the artifacts are written. */
  version: number | null;
  dataset: string;
  dataset_sha256: string;
  /** `test` for the training split, `all` for a whole dataset. */
  rows_scored: "all" | "test";
  threshold_source: ThresholdSource;
}

export function biasReport(
  about: Omit<BiasReport, keyof BiasAuditResult>,
  result: BiasAuditResult,
): BiasReport {
  const { model, version, dataset, dataset_sha256, rows_scored, threshold_source } = about;
  const { threshold, ...rest } = result;
  return { model, version, dataset, dataset_sha256, threshold, threshold_source, rows_scored, ...rest };
}

/** The report's flags as one line each, for people (CLI, backtest and gate output). */
export function flagLines(report: Pick<BiasAuditResult, "flags">): string[] {
  return report.flags.map((f) => f.message);
}
