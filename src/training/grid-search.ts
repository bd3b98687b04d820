import { rankingMetrics, trainBooster } from "../gbdt/index.js";
import { thresholdMetrics } from "./classification-metrics.js";
import { gather, gatherColumns } from "./gather-rows.js";
import { boosterParams, classRatio } from "./booster-params.js";
import { stratifiedKFold } from "./stratified-kfold.js";
import { canonicalScoring, type CvScoring, type Hyperparams } from "./training-config.js";
import { CV_WORKERS_AVAILABLE, CvWorkerPool } from "./cv-workers.js";

/**
 * How cross-validation uses the cores: `engine` trains candidates one after another, each with the
 * engine's threads; `candidates` trains one candidate per core side by side, each single-threaded.
 */
export const CV_PARALLEL_MODES = ["engine", "candidates"] as const;
export type CvParallelMode = (typeof CV_PARALLEL_MODES)[number];

/** One grid candidate's cross-validation result. */
export interface CandidateResult {
  params: Hyperparams;
  scores: number[];
  mean: number;
  std: number;
}

export interface GridSearchResult {
  scoring: string;
  folds: number;
  candidates: CandidateResult[];
  bestIndex: number;
  best: CandidateResult;
  seconds: number;
}

/**
 * Stratified k-fold cross-validation of every candidate on the training rows; the best mean score wins
 * (ties: the earlier candidate, so the choice is deterministic). Folds are the outer loop so only one
 * fold's copy of the data exists at a time. `parallel` picks how the `threads` cores are used (see
 * {@link CvParallelMode}); never both at once, which would oversubscribe a 2-core machine. Every
 * training is deterministic whatever its thread count, so both modes choose the same candidate.
 */
export async function gridSearchCv(args: {
  columns: readonly ArrayLike<number>[];
  featureNames: readonly string[];
  labels: ArrayLike<number>;
  trainRows: Uint32Array;
  candidates: Hyperparams[];
  folds: number;
  scoring: CvScoring;
  seed: number;
  threshold: number;
  threads?: number;
  parallel?: CvParallelMode;
  onStep?: (done: number, total: number) => void;
}): Promise<GridSearchResult> {
  const started = performance.now();
  const scoring = canonicalScoring(args.scoring);
  const splits = stratifiedKFold(args.labels, args.folds, args.seed, args.trainRows);
  const scores = args.candidates.map(() => [] as number[]);
  const total = splits.length * args.candidates.length;
  let done = 0;
  const threads = args.threads ?? 1;
  const pool =
    args.parallel === "candidates" && threads > 1 && CV_WORKERS_AVAILABLE
      ? new CvWorkerPool(threads)
      : undefined;
  try {
    for (const split of splits) {
      const shared = { shared: pool !== undefined };
      const trainCols = gatherColumns(args.columns, split.train, shared);
      const trainLabels = gather(args.labels, split.train, sharedBytes(split.train.length, shared.shared));
      const validCols = gatherColumns(args.columns, split.test, shared);
      const validLabels = gather(args.labels, split.test, new Uint8Array(split.test.length));
      const spw = classRatio(args.labels, split.train);
      const params = args.candidates.map((c) => boosterParams(c, spw, args.seed));
      if (pool) {
        const fold = {
          train: trainCols,
          labels: trainLabels,
          valid: validCols,
          nValid: split.test.length,
          names: args.featureNames,
        };
        const predictions = await pool.run(fold, params, () => args.onStep?.(++done, total));
        predictions.forEach((p, c) => scores[c].push(score(scoring, validLabels, p, args.threshold)));
        continue;
      }
      for (const [c, p] of params.entries()) {
        const booster = await trainBooster(
          { columns: trainCols, featureNames: args.featureNames, labels: trainLabels },
          p,
          { nThreads: threads },
        );
        const predicted = booster.compile().predictBatch(validCols, split.test.length);
        scores[c].push(score(scoring, validLabels, predicted, args.threshold));
        args.onStep?.(++done, total);
      }
    }
  } finally {
    await pool?.close();
  }
  const candidates = args.candidates.map((params, c) => {
    const s = scores[c];
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length);
    return { params, scores: s, mean, std };
  });
  let bestIndex = 0;
  candidates.forEach((c, i) => {
    if (c.mean > candidates[bestIndex].mean) bestIndex = i;
  });
  return {
    scoring,
    folds: args.folds,
    candidates,
    bestIndex,
    best: candidates[bestIndex],
    seconds: (performance.now() - started) / 1000,
  };
}

function sharedBytes(n: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

function score(
  kind: ReturnType<typeof canonicalScoring>,
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  t: number,
): number {
  if (kind === "auc_pr") return rankingMetrics(y, p).aucPr;
  if (kind === "auc_roc") return rankingMetrics(y, p).aucRoc;
  return thresholdMetrics(y, p, t)[kind];
}
