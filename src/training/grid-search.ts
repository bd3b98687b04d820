import { trainBooster } from "../gbdt/index.js";
import { thresholdMetrics } from "./classification-metrics.js";
import { gather, gatherColumns } from "./gather-rows.js";
import { boosterParams, classRatio } from "./booster-params.js";
import { rankingMetrics } from "./ranking-metrics.js";
import { stratifiedKFold } from "./stratified-kfold.js";
import { canonicalScoring, type CvScoring, type Hyperparams } from "./training-config.js";

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
 * fold's copy of the data exists at a time. Each training uses the engine's own threads (`threads`):
 * the engine already spreads a training over the cores, so running folds side by side as well would
 * oversubscribe a 2-core machine (docs/training.md has the measurement).
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
  onStep?: (done: number, total: number) => void;
}): Promise<GridSearchResult> {
  const started = performance.now();
  const scoring = canonicalScoring(args.scoring);
  const splits = stratifiedKFold(args.labels, args.folds, args.seed, args.trainRows);
  const scores = args.candidates.map(() => [] as number[]);
  const total = splits.length * args.candidates.length;
  let done = 0;
  for (const split of splits) {
    const trainCols = gatherColumns(args.columns, split.train);
    const trainLabels = gather(args.labels, split.train, new Uint8Array(split.train.length));
    const validCols = gatherColumns(args.columns, split.test);
    const validLabels = gather(args.labels, split.test, new Uint8Array(split.test.length));
    const spw = classRatio(args.labels, split.train);
    for (const [c, params] of args.candidates.entries()) {
      const booster = await trainBooster(
        { columns: trainCols, featureNames: args.featureNames, labels: trainLabels },
        boosterParams(params, spw, args.seed),
        { nThreads: args.threads },
      );
      const p = booster.compile().predictBatch(validCols, split.test.length);
      scores[c].push(score(scoring, validLabels, p, args.threshold));
      args.onStep?.(++done, total);
    }
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
