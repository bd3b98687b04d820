import { availableParallelism } from "node:os";
import { BadInputError } from "../errors/index.js";
import { BlockExecutor, CONTROL_WORDS, kernelMemory, type ExecutorFaults } from "./block-executor.js";
import { PHASE, TASK_WIDTH, type PhaseArgs, type SharedBuffers, type SharedViews } from "./block-tasks.js";
import { bundleFeatures, memberCodes } from "./feature-bundles.js";
import { boostModule, loadWasmAssembler, partitionModule } from "./wasm-kernels.js";
import { Booster } from "./booster.js";
import { binBlock } from "./kernels.js";
import { cutSampleRows, takeCutSample } from "./binning.js";
import { aucPr, aucRoc, logloss } from "./metrics.js";
import {
  parseBoosterParams,
  type BoosterParams,
  type BoosterParamsInput,
  type EvalMetric,
} from "./params.js";
import { baseMargin } from "./predictor.js";
import { SeededRandom } from "../random/index.js";
import { treeLeafValue, type RegressionTree } from "./tree.js";
import { TreeGrower, type BinLayout, type GrownTree } from "./tree-grower.js";

/** A numeric feature matrix, column-wise (one array per feature), with 0/1 labels. */
export interface TrainingData {
  columns: readonly ArrayLike<number>[];
  featureNames: readonly string[];
  labels: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

/** Held-out rows scored every round (for early stopping) and at the end. */
export interface EvalSet {
  columns: readonly ArrayLike<number>[];
  labels: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

/** Reported after every round, for progress bars and logs. */
export interface RoundInfo {
  /** 1-based round just finished. */
  round: number;
  rounds: number;
  elapsedSeconds: number;
  metric?: { name: EvalMetric; value: number };
}

export interface TrainOptions {
  evalSet?: EvalSet;
  onRound?: (info: RoundInfo) => void;
  /** Threads to use; default `n_jobs`, else every core. Never changes the model. */
  nThreads?: number;
  /** Score the eval set every round even without early stopping (costs a sort per round). */
  evalEveryRound?: boolean;
  /** Tests only: faults to inject into the worker threads (a worker that dies mid-phase). */
  faults?: ExecutorFaults;
}

/**
 * Trains a binary-logistic gradient-boosted ensemble with XGBoost's `hist` method. The same data,
 * parameters and seed give the same model bytes whatever the thread count.
 */
export async function trainBooster(
  data: TrainingData,
  params: BoosterParamsInput | BoosterParams,
  opts: TrainOptions = {},
): Promise<Booster> {
  const started = performance.now();
  const p = parseBoosterParams(params);
  const n = checkTrainingData(data);
  const nf = data.featureNames.length;
  const threads = Math.max(1, opts.nThreads ?? p.n_jobs ?? availableParallelism());
  if (opts.evalSet) checkEvalSet(opts.evalSet, nf);

  const wideBins = p.max_bin > 256;
  const maxNodes = Math.min(2 ** (p.max_depth + 1), 2 * n + 1);
  const kernel = kernelMemory({
    ids0: n * 4,
    ids1: n * 4,
    gh: n * 8,
    bins: n * nf * (wideBins ? 2 : 1),
    binsByFeature: n * nf * (wideBins ? 2 : 1),
    expNegMargin: n * 8,
    labels: n * 4,
    weights: data.weights ? n * 4 : 0,
    partial: 8,
  });
  const buffers: SharedBuffers = {
    kernelMemory: kernel.memory,
    ...kernel.regions,
    wideBins,
    weights: data.weights ? kernel.regions.weights : null,
    sample: new SharedArrayBuffer(nf * cutSampleRows(n) * 4),
    binLookup: new SharedArrayBuffer(nf * 65537 * 2),
    cuts: new SharedArrayBuffer(nf * (p.max_bin + 1) * 4),
    missingCodes: new SharedArrayBuffer(nf * 4),
    treeLeafFactor: new SharedArrayBuffer(maxNodes * 8),
    tasks: new SharedArrayBuffer(64 * TASK_WIDTH * 4),
    results: new SharedArrayBuffer(64 * 4),
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
  };
  const baseArgs: PhaseArgs = {
    nTasks: 0,
    nRows: n,
    maxBin: p.max_bin,
    scalePosWeight: p.scale_pos_weight,
    subsample: p.subsample,
    seed: p.seed,
    round: 0,
    idsFrom: 0,
    histDoubles: 0,
    histColumns: [],
    histOffsets: [],
  };

  const exec = new BlockExecutor(buffers, threads, opts.faults);
  try {
    // While the workers start and fault in their buffers (see `prefault`).
    const initial = exec.views;
    initial.labels.set(data.labels);
    if (initial.weights && data.weights) initial.weights.set(data.weights);
    const [layout] = await Promise.all([binFeatures(exec, data, p, n, baseArgs), loadWasmAssembler()]);
    exec.useWasmKernels(partitionModule(wideBins ? 2 : 1), boostModule());
    const v = exec.views; // binning replaced some buffers, and with them the views
    v.expNegMargin.fill(Math.exp(-baseMargin(p.base_score)));
    v.missingCodes.set(layout.nBins); // a feature's missing-value code follows its bins

    const grower = new TreeGrower(exec, layout, p, baseArgs);
    const colRandom = new SeededRandom(p.seed, 1);
    const nColumns = Math.max(1, Math.round(p.colsample_bytree * nf));
    const evaluator = opts.evalSet ? new EvalTracker(opts.evalSet, p) : undefined;
    const perRound =
      evaluator !== undefined && (p.early_stopping_rounds !== undefined || opts.evalEveryRound === true);

    const trees: RegressionTree[] = [];
    let previous: GrownTree | null = null;
    for (let round = 0; round < p.n_estimators; round++) {
      const features = nColumns >= nf ? range(nf) : colRandom.sampleIndices(nf, nColumns);
      // The grower's first phase adds the previous tree's leaf values to the margins.
      const grown: GrownTree = grower.grow(round, n, features, previous);
      trees.push(grown.tree);
      setLeafFactors(grown.tree, exec.views.treeLeafFactor);
      previous = grown;

      let metric: RoundInfo["metric"];
      if (perRound && evaluator) {
        metric = { name: p.eval_metric, value: evaluator.addTree(grown.tree) };
      }
      opts.onRound?.({
        round: round + 1,
        rounds: p.n_estimators,
        elapsedSeconds: (performance.now() - started) / 1000,
        metric,
      });
      if (
        evaluator &&
        p.early_stopping_rounds !== undefined &&
        round - evaluator.bestRound >= p.early_stopping_rounds
      )
        break;
    }

    const roundsRun = trees.length;
    const early = evaluator && p.early_stopping_rounds !== undefined;
    const kept = early ? trees.slice(0, evaluator.bestRound + 1) : trees;
    const attributes: Record<string, string> = early
      ? { best_iteration: String(evaluator.bestRound), best_ntree_limit: String(evaluator.bestRound + 1) }
      : {};
    const booster = new Booster([...data.featureNames], kept, p.base_score, p.scale_pos_weight, attributes);
    booster.training = {
      rounds: kept.length,
      roundsRun,
      bestIteration: early ? evaluator.bestRound : undefined,
      evalMetric: p.eval_metric,
      evalHistory: evaluator?.history ?? [],
      evalMetrics: opts.evalSet ? finalMetrics(booster, opts.evalSet) : undefined,
      trainSeconds: (performance.now() - started) / 1000,
      threads,
    };
    return booster;
  } finally {
    await exec.close();
  }
}

const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

function checkTrainingData(d: TrainingData): number {
  const n = d.labels.length;
  if (d.columns.length !== d.featureNames.length)
    throw new BadInputError(`${d.columns.length} feature columns but ${d.featureNames.length} feature names`);
  if (d.featureNames.length === 0) throw new BadInputError("no feature columns to train on");
  if (n === 0) throw new BadInputError("no training rows");
  d.columns.forEach((c, f) => {
    if (c.length !== n)
      throw new BadInputError(`feature ${d.featureNames[f]} has ${c.length} values for ${n} labels`, {
        field: d.featureNames[f],
      });
  });
  if (d.weights && d.weights.length !== n)
    throw new BadInputError(`${d.weights.length} weights for ${n} labels`);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const y = d.labels[i];
    if (y !== 0 && y !== 1)
      throw new BadInputError(`label of row ${i + 1} is ${y}; labels must be 0 or 1`, { field: "label" });
    pos += y;
  }
  if (pos === 0 || pos === n) {
    throw new BadInputError(
      `the training labels contain a single class (${pos === 0 ? "no positives" : "no negatives"} in ${n} rows); a classifier needs both`,
      { field: "label" },
    );
  }
  return n;
}

function checkEvalSet(e: EvalSet, nf: number): void {
  if (e.columns.length !== nf)
    throw new BadInputError(`eval set has ${e.columns.length} feature columns, training has ${nf}`);
  for (const c of e.columns)
    if (c.length !== e.labels.length) throw new BadInputError("eval set columns and labels differ in length");
}

/**
 * Quantile cuts per feature, from a sample of its rows the main thread takes (one task a
 * feature, on every thread); features with few bins bundled into shared columns (see
 * feature-bundles.ts); then every value replaced by its bin, on the main thread alone, straight
 * from the caller's columns a block of rows at a time. Copying all the values into shared memory
 * for the workers to bin cost more than binning them here: the copy faulted in n x features x 4
 * fresh bytes (~12 µs a page on this VM: 0.16 s at 1M rows, 0.7 s at 6.3M), the binning itself
 * is ~5 ns a value.
 */
async function binFeatures(
  exec: BlockExecutor,
  d: TrainingData,
  p: BoosterParams,
  n: number,
  baseArgs: PhaseArgs,
): Promise<BinLayout> {
  const nf = d.featureNames.length;
  const sampleRows = cutSampleRows(n);
  exec.ensureTasks(nf, 0);
  d.columns.forEach((c, f) => {
    const hasMissing = takeCutSample(c, exec.views.sample.subarray(f * sampleRows, (f + 1) * sampleRows));
    exec.views.tasks.set([f, hasMissing ? 1 : 0, sampleRows], f * TASK_WIDTH);
  });
  // Workers still faulting in their buffers take their share of the cuts once done.
  await exec.started();
  exec.run(PHASE.cuts, { ...baseArgs, nTasks: nf });
  const nBins = exec.views.results.slice(0, nf);
  const stride = p.max_bin + 1;
  const cuts = Array.from(nBins, (b, f) => exec.views.cuts.slice(f * stride, f * stride + b));
  // Codes per feature: its bins, then the missing-value code (= nBins).
  const bundles = bundleFeatures(
    Array.from(nBins, (b) => b + 1),
    p.max_bin > 256 ? 65536 : 256,
  );
  const binPlan = new Array<number>(3 * nf);
  bundles.forEach((b, column) =>
    b.features.forEach((f, j) => binPlan.splice(3 * f, 3, nBins[f], column, b.strides[j])),
  );
  await exec.ready(); // no worker still writes the zeros of `prefault` into the bins
  binOnMainThread(d, n, exec.views, stride, binPlan, bundles.length);
  exec.replaceBuffers({ sample: new SharedArrayBuffer(0), binLookup: new SharedArrayBuffer(0) });
  return {
    nFeatures: nf,
    nBins,
    cuts,
    bundles,
    memberCodes: bundles.map(memberCodes),
  };
}

/**
 * Every value of `d` replaced by its bin (see `binBlock`), a block of rows at a time: each
 * block's values are copied, as float32, into a small feature-major buffer the kernel reads.
 */
function binOnMainThread(
  d: TrainingData,
  n: number,
  v: SharedViews,
  cutsStride: number,
  binPlan: readonly number[],
  binColumns: number,
): void {
  const nf = d.columns.length;
  const rows = 16_384;
  const values = new Float32Array(nf * rows);
  const valueBits = new Int32Array(values.buffer);
  for (let start = 0; start < n; start += rows) {
    const end = Math.min(n, start + rows);
    d.columns.forEach((c, f) => values.set(rowsOf(c, start, end), f * rows));
    binBlock(
      values,
      valueBits,
      rows,
      n,
      v.cuts,
      cutsStride,
      v.binLookup,
      binPlan,
      v.bins,
      v.binsByFeature,
      binColumns,
      start,
      end,
    );
  }
}

/** Rows [start, end) of a column, without a copy when it is a typed array. */
function rowsOf(c: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  return ArrayBuffer.isView(c)
    ? (c as unknown as Float64Array).subarray(start, end)
    : Array.prototype.slice.call(c, start, end);
}

/** e^-value of every leaf of the new tree, by node id: what the next boost pass multiplies in. */
function setLeafFactors(t: RegressionTree, leafFactor: Float64Array): void {
  for (let i = 0; i < t.leftChildren.length; i++)
    leafFactor[i] = t.leftChildren[i] === -1 ? Math.exp(-t.splitConditions[i]) : 1;
}

/** Eval-set margins kept up to date tree by tree, and the best round so far. */
class EvalTracker {
  readonly history: number[] = [];
  bestRound = 0;
  private best = NaN;
  private readonly margin: Float64Array;
  private readonly row: Float64Array;

  constructor(
    private readonly set: EvalSet,
    private readonly p: BoosterParams,
  ) {
    this.margin = new Float64Array(set.labels.length).fill(baseMargin(p.base_score));
    this.row = new Float64Array(set.columns.length);
  }

  addTree(tree: RegressionTree): number {
    const { margin, row, set } = this;
    const prob = new Float64Array(margin.length);
    for (let i = 0; i < margin.length; i++) {
      for (let f = 0; f < row.length; f++) row[f] = set.columns[f][i];
      margin[i] = Math.fround(margin[i] + treeLeafValue(tree, row));
      prob[i] = 1 / (1 + Math.exp(-margin[i]));
    }
    const value = metricValue(this.p.eval_metric, set.labels, prob, set.weights);
    const round = this.history.length;
    this.history.push(value);
    const better = this.p.eval_metric === "logloss" ? value < this.best : value > this.best;
    if (round === 0 || better) {
      this.best = value;
      this.bestRound = round;
    }
    return value;
  }
}

function metricValue(
  m: EvalMetric,
  labels: ArrayLike<number>,
  prob: ArrayLike<number>,
  w?: ArrayLike<number>,
): number {
  if (m === "auc") return aucRoc(labels, prob, w);
  if (m === "aucpr") return aucPr(labels, prob, w);
  return logloss(labels, prob, w);
}

function finalMetrics(b: Booster, e: EvalSet): { auc: number; aucpr: number; logloss: number } {
  const prob = b.compile().predictBatch(e.columns, e.labels.length);
  return {
    auc: aucRoc(e.labels, prob, e.weights),
    aucpr: aucPr(e.labels, prob, e.weights),
    logloss: logloss(e.labels, prob, e.weights),
  };
}
