import { meanAbsContribution, ParallelExplainer, splitImportance, type Booster } from "../gbdt/index.js";

/**
 * Test rows explained for the global importance; beyond this, evenly spaced rows stand for the
 * split. A mean of |contribution| settles long before this many rows, and every row costs: at
 * 50,000 rows (1 ms a row then) the report took 61 % of a 1M-row `lakay train`. With the pattern
 * tables (docs/explain.md) a row of a 200-tree depth-8 model costs ~0.3 ms, 2,000 rows ~0.6 s of CPU.
 */
export const IMPORTANCE_MAX_ROWS = 2_000;

/** One feature's global importance, as metrics.json records it. */
export interface FeatureImportance {
  feature: string;
  /** Mean |TreeSHAP contribution| (log-odds) over the explained test rows. */
  mean_abs_contribution: number;
  /** XGBoost `get_score` importances: split count, average and total gain, average and total cover. */
  weight: number;
  gain: number;
  cover: number;
  total_gain: number;
  total_cover: number;
}

export interface ImportanceReport {
  /** Test rows whose contributions were averaged (all of them up to IMPORTANCE_MAX_ROWS). */
  rows_explained: number;
  /** Every model feature, largest mean |contribution| first. */
  features: FeatureImportance[];
}

/**
 * Global importance for the training report: mean |contribution| on the test split (what the
 * model leaned on for these rows) beside XGBoost's split-based gain / cover / weight (what the
 * trees were built from). The two can disagree; that disagreement is itself worth reading.
 */
export async function featureImportanceReport(
  booster: Booster,
  testColumns: readonly Float64Array[],
  testRows: number,
  threads: number,
  maxRows = IMPORTANCE_MAX_ROWS,
): Promise<ImportanceReport> {
  const job = startFeatureImportance(booster, testColumns, testRows, threads, maxRows);
  try {
    return await job.finish();
  } finally {
    await job.close();
  }
}

/** A `featureImportanceReport` under way: its workers explain while the caller does other work. */
export interface ImportanceJob {
  /** This thread joins the explaining (whatever rows are left) and builds the report. */
  finish(): Promise<ImportanceReport>;
  /** Stops the workers; call it whether or not `finish` was (a failed run must not leave them up). */
  close(): Promise<void>;
}

/**
 * Starts `featureImportanceReport`: with two threads or more its worker starts explaining the rows
 * at once, so `lakay train` writes its other reports meanwhile instead of after it (the worker's
 * start-up and ~0.4 s of TreeSHAP at 2,000 rows then cost no wall time; same report either way).
 */
export function startFeatureImportance(
  booster: Booster,
  testColumns: readonly Float64Array[],
  testRows: number,
  threads: number,
  maxRows = IMPORTANCE_MAX_ROWS,
): ImportanceJob {
  const n = Math.min(testRows, maxRows);
  const columns =
    n === testRows
      ? testColumns
      : testColumns.map((c) => Float64Array.from({ length: n }, (_, i) => c[Math.floor((i * testRows) / n)]));
  const explainer = booster.explainer();
  const pool = threads < 2 || n < 2_000 ? undefined : new ParallelExplainer(explainer, threads);
  const explaining = pool?.start(columns, n);
  return {
    async finish() {
      const contribs = explaining ? await explaining.finish() : explainer.explainBatch(columns, n);
      const names = booster.featureNames;
      const meanAbs = meanAbsContribution(contribs, n, names.length);
      const splits = splitImportance(booster.trees, names.length);
      const features = names
        .map((feature, f) => ({ feature, mean_abs_contribution: meanAbs[f], ...splits[f] }))
        .sort((a, b) => b.mean_abs_contribution - a.mean_abs_contribution);
      return { rows_explained: n, features };
    },
    close: async () => pool?.close(),
  };
}

/** The importance table appended to classification_report.txt. */
export function importanceTable(r: ImportanceReport): string {
  const width = Math.max("feature".length, ...r.features.map((f) => f.feature.length));
  const head = ["mean |SHAP|", "weight", "gain", "cover"].map((h) => h.padStart(12)).join(" ");
  let out = `Feature importance (mean |contribution| in log-odds on ${r.rows_explained} test rows; XGBoost gain and cover are averages per split)\n\n`;
  out += `${"feature".padEnd(width)}  ${head}\n`;
  for (const f of r.features) {
    const cells = [
      f.mean_abs_contribution.toFixed(4),
      String(f.weight),
      f.gain.toPrecision(6),
      f.cover.toPrecision(6),
    ];
    out += `${f.feature.padEnd(width)}  ${cells.map((c) => c.padStart(12)).join(" ")}\n`;
  }
  return out;
}
