import type { computeCuts } from "./binning.js";
import {
  binBlock,
  boostBlock,
  cutsTask,
  gatherBlock,
  lastSplitBlock,
  leafBlock,
  partitionBlock,
  type HistogramKernel,
} from "./kernels.js";

/** The phases of a boosting round that run as blocks of rows on every thread. */
export const PHASE = { bin: 0, boost: 1, partition: 2, histogram: 3, leaf: 4, cuts: 6 } as const;

/** Integers per entry in the task table (start, end, then phase-specific fields). */
export const TASK_WIDTH = 6;

/**
 * The histogram phase's two kinds of task (field 5): moving a partitioned block's parts back into
 * `rows`, and accumulating a histogram over part of `left` or `right`. They share a phase because
 * neither reads what the other writes: histograms are built from the partition's output while
 * it is being moved, saving a phase (and its wait for the slower thread) per level.
 */
export const HISTOGRAM_TASK = { move: 0, histogram: 1 } as const;

/** Shared memory behind one training run; every thread views the same buffers. */
export interface SharedBuffers {
  bins: SharedArrayBuffer;
  /** The same codes feature-major: partitioning reads one feature of scattered rows. */
  binsByFeature: SharedArrayBuffer;
  wideBins: boolean;
  gh: SharedArrayBuffer;
  /** e^-margin of every row (see `boostBlock`). */
  expNegMargin: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  weights: SharedArrayBuffer | null;
  rows: SharedArrayBuffer;
  left: SharedArrayBuffer;
  right: SharedArrayBuffer;
  /** The feature values, feature-major float32, while binning; then replaced by an empty buffer. */
  values: SharedArrayBuffer;
  /** Each feature's cuts, from `feature * (max_bin + 1)`. */
  cuts: SharedArrayBuffer;
  missingCodes: SharedArrayBuffer;
  treeLeafFactor: SharedArrayBuffer;
  /** The leaf of the last tree each row fell in (16-bit when node ids fit). */
  leafOf: SharedArrayBuffer;
  wideLeaves: boolean;
  tasks: SharedArrayBuffer;
  results: SharedArrayBuffer;
  partial: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export interface SharedViews {
  bins: Uint8Array | Uint16Array;
  binsByFeature: Uint8Array | Uint16Array;
  gh: Float32Array;
  expNegMargin: Float64Array;
  labels: Float32Array;
  weights: Float32Array | null;
  rows: Uint32Array;
  left: Uint32Array;
  right: Uint32Array;
  values: Float32Array;
  cuts: Float32Array;
  missingCodes: Int32Array;
  treeLeafFactor: Float64Array;
  leafOf: Uint16Array | Int32Array;
  tasks: Int32Array;
  results: Int32Array;
  partial: Float64Array;
  control: Int32Array;
}

/** Per-phase scalars sent with each run. */
export interface PhaseArgs {
  nTasks: number;
  nRows: number;
  maxBin: number;
  /** Columns a row of the row-major binned matrix has (one per feature bundle). */
  binColumns: number;
  /** Per feature: cut count, bundle column, stride in the joint code (see `binBlock`). */
  binPlan: number[];
  scalePosWeight: number;
  subsample: number;
  seed: number;
  round: number;
  histDoubles: number;
  /** Columns (feature bundles) the histogram phase accumulates, and the first slot of each. */
  histColumns: number[];
  histOffsets: number[];
}

export interface Kernels {
  binBlock: typeof binBlock;
  cutsTask: typeof cutsTask;
  computeCuts: typeof computeCuts;
  boostBlock: typeof boostBlock;
  partitionBlock: typeof partitionBlock;
  leafBlock: typeof leafBlock;
  lastSplitBlock: typeof lastSplitBlock;
  gatherBlock: typeof gatherBlock;
  histogramBlock: HistogramKernel;
}

/** Typed-array views over the shared buffers (self-contained: also runs inside workers). */
export function makeViews(b: SharedBuffers): SharedViews {
  return {
    bins: b.wideBins ? new Uint16Array(b.bins) : new Uint8Array(b.bins),
    binsByFeature: b.wideBins ? new Uint16Array(b.binsByFeature) : new Uint8Array(b.binsByFeature),
    gh: new Float32Array(b.gh),
    expNegMargin: new Float64Array(b.expNegMargin),
    labels: new Float32Array(b.labels),
    weights: b.weights ? new Float32Array(b.weights) : null,
    rows: new Uint32Array(b.rows),
    left: new Uint32Array(b.left),
    right: new Uint32Array(b.right),
    values: new Float32Array(b.values),
    cuts: new Float32Array(b.cuts),
    missingCodes: new Int32Array(b.missingCodes),
    treeLeafFactor: new Float64Array(b.treeLeafFactor),
    leafOf: b.wideLeaves ? new Int32Array(b.leafOf) : new Uint16Array(b.leafOf),
    tasks: new Int32Array(b.tasks),
    results: new Int32Array(b.results),
    partial: new Float64Array(b.partial),
    control: new Int32Array(b.control),
  };
}

/**
 * Pulls tasks from the shared counter until none are left. Every thread of a phase runs this
 * same loop; which thread takes which block does not change any output (self-contained: also
 * runs inside workers).
 */
export function runTasks(phase: number, a: PhaseArgs, v: SharedViews, k: Kernels): void {
  const tt = v.tasks;
  for (;;) {
    const t = Atomics.add(v.control, 0, 1);
    if (t >= a.nTasks) return;
    const o = t * 6;
    if (phase === 0) {
      k.binBlock(
        v.values,
        a.nRows,
        v.cuts,
        a.maxBin + 1,
        a.binPlan,
        v.bins,
        v.binsByFeature,
        a.binColumns,
        tt[o],
        tt[o + 1],
      );
    } else if (phase === 6) {
      v.results[t] = k.cutsTask(v.values, a.nRows, tt[o], a.maxBin, v.cuts, a.maxBin + 1, k.computeCuts);
    } else if (phase === 1) {
      v.results[t] = k.boostBlock(
        tt[o],
        tt[o + 1],
        v.expNegMargin,
        v.leafOf,
        v.treeLeafFactor,
        v.labels,
        v.weights,
        v.gh,
        a.scalePosWeight,
        a.subsample,
        a.seed,
        a.round,
        t,
        v.left,
        v.right,
      );
    } else if (phase === 2) {
      // start, end, feature, split bin, default-left, result slot
      v.results[tt[o + 5]] = k.partitionBlock(
        v.rows,
        tt[o],
        tt[o + 1],
        v.left,
        v.right,
        v.binsByFeature,
        tt[o + 2] * a.nRows,
        tt[o + 3],
        v.missingCodes[tt[o + 2]],
        tt[o + 4],
      );
    } else if (phase === 4) {
      // A leaf's segment (field 3 is -1), or a last-level split's: leaf, feature, bin, default-left.
      const leaf = tt[o + 2];
      const f = tt[o + 3];
      if (f < 0) k.leafBlock(v.rows, tt[o], tt[o + 1], v.leafOf, leaf);
      else
        k.lastSplitBlock(
          v.rows,
          tt[o],
          tt[o + 1],
          v.leafOf,
          v.binsByFeature,
          f * a.nRows,
          tt[o + 4],
          v.missingCodes[f],
          tt[o + 5],
          leaf,
        );
    } else if (tt[o + 5] === 0) {
      // move: block start, left count, right count, left destination, right destination
      k.gatherBlock(v.rows, v.left, v.right, tt[o], tt[o + 1], tt[o + 2], tt[o + 3], tt[o + 4]);
    } else {
      // histogram: first piece entry, piece count, partial slot; each piece entry (further down
      // the table) is 0 = ids in `left` / 1 = in `right`, start, end
      const base = tt[o + 2] * a.histDoubles;
      v.partial.fill(0, base, base + a.histDoubles);
      for (let q = tt[o]; q < tt[o] + tt[o + 1]; q++) {
        const po = q * 6;
        k.histogramBlock(
          tt[po] === 0 ? v.left : v.right,
          tt[po + 1],
          tt[po + 2],
          v.bins,
          v.gh,
          v.partial,
          base >> 1,
          a.histColumns,
          a.histOffsets,
        );
      }
    }
  }
}
