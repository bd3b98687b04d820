import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readPaysim, type Transactions } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { buildFeatures, type FeatureMatrix } from "../features/index.js";
import { sha256File, type ModelVersion, type Registry } from "../registry/index.js";
import { rankingMetrics, thresholdMetrics } from "../training/index.js";
import { compareBacktest, type BacktestComparison, type BacktestMetrics } from "./backtest-comparison.js";
import { backtestBias, backtestBiasRecord, type BacktestBias } from "./backtest-bias.js";
import { insertBacktest } from "./store/deploy-store.js";
import type { ScorePredictor } from "./validation-checks.js";
import type { VersionLoader } from "./version-loader.js";
import { versionDigest } from "./version-digest.js";

export interface BacktestOptions {
  model: string;
  candidate: number;
  /** A labeled PaySim CSV (with `isFraud`). */
  dataset: string;
  actor: string;
  /** Decision threshold for precision, recall, F1 and FPR; default 0.5. */
  threshold?: number;
  loader?: VersionLoader;
  /** Called while the dataset is read (bytes) — a big file takes a while; the CLI draws a bar on a TTY. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface BacktestReport {
  id: number;
  timestamp: string;
  model: string;
  candidateVersion: number;
  /** The Production version compared against; null when there was none. */
  currentVersion: number | null;
  dataset: {
    path: string;
    sha256: string;
    rows: number;
    frauds: number;
    /** PaySim `step` range (hours since the simulation start) the dataset covers. */
    window: { start_step: number; end_step: number } | null;
  };
  /** `versionDigest` of the candidate's and the Production version's artifacts, as compared. */
  candidateDigest: string;
  currentDigest: string | null;
  threshold: number;
  comparison: BacktestComparison;
  /** Both versions' bias reports on the same rows (docs/bias-audit.md); the gate reads the candidate's flags. */
  bias: BacktestBias;
  /** Where the report was stored as an artifact of the candidate's run, if it has one. */
  artifact: string | null;
}

/**
 * Scores a labeled dataset with the current Production version and the candidate, applies the
 * tolerance table, stores the report (database row, candidate artifact, audit entry) with the exact
 * artifacts compared. A failing comparison is a result, not an exception: `promoteToProduction`
 * acts on it (a candidate needs a passing backtest against the current Production version).
 */
export async function runBacktest(registry: Registry, opts: BacktestOptions): Promise<BacktestReport> {
  checkThreshold(opts.threshold);
  await registry.getVersion(opts.model, opts.candidate); // NotFoundError before the file is read
  const read = await readPaysim(opts.dataset, { onBadRows: "fail", onProgress: opts.onProgress });
  const labels = read.tx.isFraud;
  if (!labels)
    throw new BadInputError("the backtest dataset has no isFraud column: it must be labeled", {
      file: opts.dataset,
    });
  return runBacktestOnData(registry, opts, {
    tx: read.tx,
    features: buildFeatures(read.tx),
    labels,
    source: path.resolve(opts.dataset),
    sha256: await sha256File(opts.dataset),
  });
}

/**
 * Labeled rows to backtest on, whatever their origin: a PaySim file (`runBacktest`) or the
 * prediction log's stored features joined to outcome labels (auto-promotion, src/monitoring).
 */
export interface BacktestData {
  /** The transactions' own columns the bias audit segments by (type, amount, customer). */
  tx: Transactions;
  /** The 11 features, as served. */
  features: FeatureMatrix;
  labels: ArrayLike<number>;
  /** Where the rows come from: a file path, or a description of the log query. */
  source: string;
  /** SHA-256 of the file, or of the rows as read. */
  sha256: string;
}

function checkThreshold(t: number | undefined): number {
  const threshold = t ?? 0.5;
  if (!(threshold > 0 && threshold < 1)) {
    throw new BadInputError(`threshold must be between 0 and 1, got ${t}`, {
      field: "threshold",
    });
  }
  return threshold;
}

/** The backtest itself on rows already read: scoring, tolerance table, bias, storage, audit. */
export async function runBacktestOnData(
  registry: Registry,
  opts: Omit<BacktestOptions, "dataset" | "onProgress">,
  data: BacktestData,
): Promise<BacktestReport> {
  const threshold = checkThreshold(opts.threshold);
  const candidate = await registry.getVersion(opts.model, opts.candidate);
  const current = await registry.getLatestVersion(opts.model, "Production");
  // The gbdt engine loads only when a real model is scored.
  const loader = opts.loader ?? (await import("./version-loader.js")).loadRegisteredVersion;
  const { features, labels } = data;
  const datasetSha = data.sha256;

  const candidateScored = await score(loader, registry, candidate, features, labels, threshold);
  const currentScored =
    current && current.version !== candidate.version
      ? await score(loader, registry, current, features, labels, threshold)
      : null;
  const candidateMetrics = candidateScored.metrics;
  const currentMetrics = currentScored?.metrics ?? null;
  const comparison = compareBacktest(candidateMetrics, currentMetrics);
  const bias = backtestBias({
    tx: data.tx,
    labels,
    threshold,
    candidateScores: candidateScored.scores,
    currentScores: currentScored?.scores ?? null,
  });
  const currentVersion = currentMetrics ? current!.version : null;
  let frauds = 0;
  for (let i = 0; i < labels.length; i++) frauds += labels[i];
  const window = stepWindow(data.tx.step);
  const dataset = {
    path: data.source,
    sha256: datasetSha,
    rows: features.rows,
    frauds,
    window: window ? { start_step: window.startStep, end_step: window.endStep } : null,
  };
  const candidateDigest = versionDigest(candidate.files);
  const currentDigest = currentMetrics ? versionDigest(current!.files) : null;

  const artifact = await storeArtifact(registry, candidate, {
    model: opts.model,
    candidate_version: candidate.version,
    current_version: currentVersion,
    candidate_digest: candidateDigest,
    current_digest: currentDigest,
    dataset,
    threshold,
    comparison,
    bias: { candidate: bias.candidate, current: bias.current, new_flags: bias.newFlags },
  });
  const stored = await registry.transaction(async (tx) => {
    const row = await insertBacktest(tx.db, {
      model: opts.model,
      candidateVersion: candidate.version,
      currentVersion,
      candidateDigest,
      currentDigest,
      dataset: dataset.path,
      datasetSha256: datasetSha,
      datasetRows: dataset.rows,
      datasetFrauds: frauds,
      window,
      actor: opts.actor,
      passed: comparison.passed,
      compared: comparison.compared,
      report: { dataset, threshold, comparison, artifact, bias: backtestBiasRecord(bias) },
    });
    await tx.appendAudit({
      actor: opts.actor,
      action: "deploy.backtest",
      model: opts.model,
      version: candidate.version,
      details: {
        backtest_id: row.id,
        current_version: currentVersion,
        candidate_digest: candidateDigest,
        current_digest: currentDigest,
        dataset,
        threshold,
        passed: comparison.passed,
        compared: comparison.compared,
        summary: comparison.summary,
        rows: comparison.rows.map((r) => ({
          metric: r.metric,
          candidate: r.candidate,
          current: r.current,
          passed: r.passed,
        })),
        bias: backtestBiasRecord(bias),
        artifact,
      },
    });
    return row;
  });
  return {
    id: stored.id,
    timestamp: stored.timestamp,
    model: opts.model,
    candidateVersion: candidate.version,
    currentVersion,
    candidateDigest,
    currentDigest,
    dataset,
    threshold,
    comparison,
    bias,
    artifact,
  };
}

function stepWindow(steps: ArrayLike<number>): { startStep: number; endStep: number } | null {
  if (steps.length === 0) return null;
  let lo = steps[0];
  let hi = steps[0];
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] < lo) lo = steps[i];
    if (steps[i] > hi) hi = steps[i];
  }
  return { startStep: lo, endStep: hi };
}

async function score(
  loader: VersionLoader,
  registry: Registry,
  version: ModelVersion,
  features: FeatureMatrix,
  labels: ArrayLike<number>,
  threshold: number,
): Promise<{ metrics: BacktestMetrics; scores: Float64Array }> {
  const loaded = await loader(registry, version.name, version.version);
  const scores = scoreRows(loaded.predictor, loaded.featureNames, features);
  // A model that scores NaN has a NaN AUC, which fails the tolerance table.
  const ranking = rankingMetrics(labels, scores);
  const t = thresholdMetrics(labels, scores, threshold);
  const metrics = {
    auc_roc: ranking.aucRoc,
    precision: t.precision,
    recall: t.recall,
    f1: t.f1,
    false_positive_rate: t.falsePositiveRate,
  };
  return { metrics, scores };
}

/** Scores every row, feeding features in the model's own order (a model may order them differently). */
function scoreRows(predictor: ScorePredictor, modelOrder: readonly string[], m: FeatureMatrix): Float64Array {
  const cols = modelOrder.map((name) => {
    const j = m.names.indexOf(name);
    if (j < 0)
      throw new BadInputError(`the model expects feature ${name}, which Lakay's feature set does not build`);
    return m.columns[j];
  });
  if (predictor.predictBatch) return predictor.predictBatch(cols, m.rows);
  const out = new Float64Array(m.rows);
  const row = new Float64Array(cols.length);
  for (let i = 0; i < m.rows; i++) {
    for (let f = 0; f < cols.length; f++) row[f] = cols[f][i];
    out[i] = predictor.predictRow(row);
  }
  return out;
}

/**
 * Keeps the report beside the candidate's files, under `backtests/` of its run. Best effort: a model
 * registered without a run, or a store that refuses, still has the report in the database and audit.
 */
async function storeArtifact(
  registry: Registry,
  candidate: ModelVersion,
  report: unknown,
): Promise<string | null> {
  if (!candidate.runId) return null;
  const dir = await mkdtemp(path.join(tmpdir(), "lakay-backtest-"));
  try {
    const name = `backtest-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    await writeFile(path.join(dir, name), JSON.stringify(report, null, 2) + "\n");
    const files = await registry.logArtifacts(candidate.runId, dir, "backtests");
    return files.find((f) => f.path.endsWith(name))?.path ?? `backtests/${name}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
