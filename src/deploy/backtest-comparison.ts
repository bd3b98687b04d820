/** The metrics a backtest compares, in the order the report prints them. */
export const BACKTEST_METRICS = ["auc_roc", "precision", "recall", "f1", "false_positive_rate"] as const;
export type BacktestMetric = (typeof BACKTEST_METRICS)[number];

export type BacktestMetrics = Record<BacktestMetric, number>;

/** One row of the tolerance table: the candidate must be within `tolerance` of the current model. */
export interface ToleranceRule {
  metric: BacktestMetric;
  label: string;
  /** `higher`: candidate >= current - tolerance; `lower`: candidate <= current + tolerance. */
  better: "higher" | "lower";
  tolerance: number;
}

/** The deployment procedure's tolerance table. */
export const BACKTEST_TOLERANCES: readonly ToleranceRule[] = [
  { metric: "auc_roc", label: "AUC-ROC", better: "higher", tolerance: 0 },
  { metric: "precision", label: "Precision", better: "higher", tolerance: 0.02 },
  { metric: "recall", label: "Recall", better: "higher", tolerance: 0.02 },
  { metric: "f1", label: "F1", better: "higher", tolerance: 0 },
  { metric: "false_positive_rate", label: "False positive rate", better: "lower", tolerance: 0.01 },
];

export interface BacktestRow {
  metric: BacktestMetric;
  label: string;
  candidate: number;
  /** Null when there is no Production version to compare against. */
  current: number | null;
  /** The requirement in words, e.g. "candidate >= current - 0.02". */
  requirement: string;
  /** The bound the candidate had to meet; null without a current model. */
  bound: number | null;
  /** Null when there was nothing to compare against. */
  passed: boolean | null;
}

export interface BacktestComparison {
  /** True only when a Production version existed and every row passed. */
  passed: boolean;
  /** False when there was no Production version: the rows then carry the candidate's metrics only. */
  compared: boolean;
  rows: BacktestRow[];
  summary: string;
}

/**
 * Rounds away float noise before comparing (0.1 + 0.02 style artefacts), so "equal within the
 * tolerance" is not failed by the 15th decimal.
 */
const EPS = 1e-12;

/** Applies the tolerance table to the two metric sets. `current` is null without a Production version. */
export function compareBacktest(
  candidate: BacktestMetrics,
  current: BacktestMetrics | null,
  rules: readonly ToleranceRule[] = BACKTEST_TOLERANCES,
): BacktestComparison {
  const rows: BacktestRow[] = rules.map((rule) => {
    const requirement = describeRule(rule);
    const cand = candidate[rule.metric];
    if (current === null)
      return {
        metric: rule.metric,
        label: rule.label,
        candidate: cand,
        current: null,
        requirement,
        bound: null,
        passed: null,
      };
    const cur = current[rule.metric];
    const bound = rule.better === "higher" ? cur - rule.tolerance : cur + rule.tolerance;
    const passed =
      Number.isFinite(cand) &&
      Number.isFinite(cur) &&
      (rule.better === "higher" ? cand >= bound - EPS : cand <= bound + EPS);
    return {
      metric: rule.metric,
      label: rule.label,
      candidate: cand,
      current: cur,
      requirement,
      bound,
      passed,
    };
  });
  if (current === null) {
    return {
      passed: false,
      compared: false,
      rows,
      summary: "no Production version to compare against: candidate metrics reported, no comparison made",
    };
  }
  const failed = rows.filter((r) => !r.passed);
  return {
    passed: failed.length === 0,
    compared: true,
    rows,
    summary:
      failed.length === 0
        ? "candidate meets every tolerance rule"
        : `candidate fails ${failed.map((r) => r.label).join(", ")}`,
  };
}

function describeRule(rule: ToleranceRule): string {
  const op = rule.better === "higher" ? ">=" : "<=";
  const sign = rule.better === "higher" ? "-" : "+";
  return rule.tolerance === 0
    ? `candidate ${op} current`
    : `candidate ${op} current ${sign} ${rule.tolerance}`;
}
