import { meanAbsContribution, ProgramWorker, splitImportance, type Booster } from "../gbdt/index.js";
import { EXPLAIN_WORKER, explainTasks } from "../gbdt/parallel-explain.js";
import { compileTreeShapKernel } from "../gbdt/tree-shap-kernel.js";

/**
 * Test rows explained for the global importance; beyond this, evenly spaced rows stand for the
 * split. A mean of |contribution| settles long before this many rows, while explaining a row costs
 * about a millisecond on a 200-tree depth-8 model: at 50,000 rows the report took 61 % of a 1M-row
 * `lakay train` (twice the engine's training), at 2,000 about a second.
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

/** An importance report under way: a worker explains rows until `finish` (see `startFeatureImportance`). */
export interface ImportanceJob {
  /** Whether a worker explains rows in the background (it holds one core until `finish`). */
  readonly background: boolean;
  /** This thread explains the rows no worker has taken, then the report is built. */
  finish(): Promise<ImportanceReport>;
  /** Stops the worker (after `finish`, or when the caller fails before it). */
  close(): Promise<void>;
}

/**
 * Starts the importance report with threads to spare: one worker starts explaining the sampled
 * test rows at once, so the caller's thread can score the test split and write the other reports
 * meanwhile, then join in (`finish`). Rows are handed out through one shared counter, so whoever
 * explains a row, its contributions are the same bytes (every thread runs the same kernel on the
 * same float32 values, as `ParallelExplainer` does). With one thread (or few rows) it all happens
 * in `finish`, on this thread.
 */
export function startFeatureImportance(
  booster: Booster,
  testColumns: readonly Float64Array[],
  testRows: number,
  threads: number,
  maxRows = IMPORTANCE_MAX_ROWS,
): ImportanceJob {
  const n = Math.min(testRows, maxRows);
  const explainer = booster.explainer();
  const report = (contribs: Float64Array): ImportanceReport => {
    const names = booster.featureNames;
    const meanAbs = meanAbsContribution(contribs, n, names.length);
    const splits = splitImportance(booster.trees, names.length);
    const features = names
      .map((feature, f) => ({ feature, mean_abs_contribution: meanAbs[f], ...splits[f] }))
      .sort((a, b) => b.mean_abs_contribution - a.mean_abs_contribution);
    return { rows_explained: n, features };
  };
  // Evenly spaced test rows stand for the split beyond maxRows.
  const rowAt = (i: number) => (n === testRows ? i : Math.floor((i * testRows) / n));
  if (threads < 2 || n < 2_000) {
    const columns = testColumns.map((c) => Float64Array.from({ length: n }, (_, i) => c[rowAt(i)]));
    return {
      background: false,
      finish: async () => report(explainer.explainBatch(columns, n)),
      close: async () => {},
    };
  }
  const nf = explainer.featureNames.length;
  const shared = {
    program: explainer.program,
    columns: testColumns.map((c) => {
      const col = new Float32Array(new SharedArrayBuffer(n * 4));
      for (let i = 0; i < n; i++) col[i] = c[rowAt(i)];
      return col;
    }),
    out: new Float64Array(new SharedArrayBuffer(n * (nf + 1) * 8)),
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  const worker = new ProgramWorker(EXPLAIN_WORKER, { workerData: shared });
  const workerDone = worker.nextMessage();
  workerDone.catch(() => undefined); // awaited in finish; a failure before then is not unhandled
  worker.worker.postMessage({ rows: n });
  return {
    background: true,
    async finish() {
      const kernel = compileTreeShapKernel(shared.program);
      explainTasks(kernel, shared.columns, n, shared.out, shared.counter, EXPLAIN_TASK_ROWS);
      await workerDone;
      return report(shared.out);
    },
    close: () => worker.terminate(),
  };
}

/** The worker's rows per task: this thread must take tasks of the same size from the counter. */
const EXPLAIN_TASK_ROWS = Number(EXPLAIN_WORKER.constants?.TASK_ROWS);

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
