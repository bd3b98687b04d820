import type { computeCuts } from "./binning.js";
import {
  applyLastSplit,
  applyLeaf,
  boostBlock,
  cutsTask,
  partitionBlock,
  type HistogramKernel,
} from "./kernels.js";

/** The phases of a boosting round that run as blocks of rows on every thread. */
export const PHASE = { boost: 1, partition: 2, histogram: 3, cuts: 6 } as const;

/**
 * Integers per row of the task table. A cuts task is (feature, has missing values, sample
 * rows). A boost task is a block (start, end) and its run of leaf entries (first, count); a
 * partition or histogram task covers a run of entries: (first entry, entry count,
 * partial-histogram slot).
 * Entries are laid out after the tasks; an entry is one piece of a node's ids (start, end, then
 * per phase: feature, split bin, default-left, result slot for a partition; for a leaf entry,
 * the leaf, then -1 and the id buffer, or a last-level split's feature, bin, default-left).
 */
export const TASK_WIDTH = 6;

/** Where a buffer lies in `SharedBuffers.kernelMemory`, in bytes. */
export interface Region {
  offset: number;
  bytes: number;
}

/**
 * Shared memory behind one training run; every thread views the same buffers. What the
 * WebAssembly histogram kernel reads and writes (codes, gradient pairs, row ids, partial
 * histograms) lies in regions of one shared `WebAssembly.Memory` (see wasm-kernels.ts).
 */
export interface SharedBuffers {
  kernelMemory: WebAssembly.Memory;
  bins: Region;
  /** The same codes feature-major: partitioning reads one feature of scattered rows. */
  binsByFeature: Region;
  wideBins: boolean;
  gh: Region;
  /** e^-margin of every row (see `boostBlock`). */
  expNegMargin: Region;
  labels: Region;
  weights: Region | null;
  /**
   * Row ids, grouped by node within each block, in two buffers: a partition reads one and
   * writes the other (`PhaseArgs.idsFrom` says which holds the current ids).
   */
  ids0: Region;
  ids1: Region;
  /** The cut sample (`takeCutSample`), feature-major, until binning; then an empty buffer. */
  sample: SharedArrayBuffer;
  /** Each feature's bin lookup table (see `cutsTask`), while binning; then an empty buffer. */
  binLookup: SharedArrayBuffer;
  /** Each feature's cuts, from `feature * (max_bin + 1)`. */
  cuts: SharedArrayBuffer;
  missingCodes: SharedArrayBuffer;
  /** e^-value of the last tree's leaves, by node id (see `applyLeaf`). */
  treeLeafFactor: SharedArrayBuffer;
  tasks: SharedArrayBuffer;
  results: SharedArrayBuffer;
  partial: Region;
  control: SharedArrayBuffer;
}

export interface SharedViews {
  bins: Uint8Array | Uint16Array;
  binsByFeature: Uint8Array | Uint16Array;
  gh: Float32Array;
  expNegMargin: Float64Array;
  labels: Float32Array;
  weights: Float32Array | null;
  ids0: Uint32Array;
  ids1: Uint32Array;
  sample: Float32Array;
  binLookup: Uint16Array;
  cuts: Float32Array;
  missingCodes: Int32Array;
  treeLeafFactor: Float64Array;
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
  scalePosWeight: number;
  subsample: number;
  seed: number;
  round: number;
  /** 0 or 1: the id buffer holding the current ids (a partition writes the other). */
  idsFrom: number;
  histDoubles: number;
  /** Columns (feature bundles) the histogram phase accumulates, and the first slot of each. */
  histColumns: number[];
  histOffsets: number[];
}

export interface Kernels {
  cutsTask: typeof cutsTask;
  computeCuts: typeof computeCuts;
  boostBlock: typeof boostBlock;
  applyLeaf: typeof applyLeaf;
  applyLastSplit: typeof applyLastSplit;
  partitionBlock: typeof partitionBlock;
  histogramBlock: HistogramKernel;
}

/** Typed-array views over the shared buffers (self-contained: also runs inside workers). */
export function makeViews(b: SharedBuffers): SharedViews {
  // A shared memory's buffer grows with it (the partial histograms' region is added at its end).
  const m = b.kernelMemory.buffer;
  return {
    bins: b.wideBins
      ? new Uint16Array(m, b.bins.offset, b.bins.bytes / 2)
      : new Uint8Array(m, b.bins.offset, b.bins.bytes),
    binsByFeature: b.wideBins
      ? new Uint16Array(m, b.binsByFeature.offset, b.binsByFeature.bytes / 2)
      : new Uint8Array(m, b.binsByFeature.offset, b.binsByFeature.bytes),
    gh: new Float32Array(m, b.gh.offset, b.gh.bytes / 4),
    expNegMargin: new Float64Array(m, b.expNegMargin.offset, b.expNegMargin.bytes / 8),
    labels: new Float32Array(m, b.labels.offset, b.labels.bytes / 4),
    weights: b.weights ? new Float32Array(m, b.weights.offset, b.weights.bytes / 4) : null,
    ids0: new Uint32Array(m, b.ids0.offset, b.ids0.bytes / 4),
    ids1: new Uint32Array(m, b.ids1.offset, b.ids1.bytes / 4),
    sample: new Float32Array(b.sample),
    binLookup: new Uint16Array(b.binLookup),
    cuts: new Float32Array(b.cuts),
    missingCodes: new Int32Array(b.missingCodes),
    treeLeafFactor: new Float64Array(b.treeLeafFactor),
    tasks: new Int32Array(b.tasks),
    results: new Int32Array(b.results),
    partial: new Float64Array(m, b.partial.offset, b.partial.bytes / 8),
    control: new Int32Array(b.control),
  };
}

/**
 * Writes a zero to every page of the per-row buffers the phases fill: the first write to a page
 * of fresh memory is a page fault (~12 µs on this VM, 3 ms a MB, ~0.1 s for 1M rows), and a
 * worker takes them while the main thread takes the cut sample, instead of both threads taking
 * them in the first phases. Runs before any phase of the worker's, while the buffers hold only
 * zeros; the main thread writes them only after `BlockExecutor.ready` (self-contained: runs
 * inside workers).
 */
export function prefault(v: SharedViews): void {
  for (const a of [v.bins, v.binsByFeature, v.gh, v.expNegMargin, v.ids0, v.ids1]) {
    const step = 4096 / a.BYTES_PER_ELEMENT;
    for (let i = 0; i < a.length; i += step) a[i] = 0;
  }
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
    if (phase === 6) {
      v.results[t] = k.cutsTask(
        v.sample,
        tt[o + 2],
        tt[o],
        tt[o + 1] === 1,
        a.maxBin,
        v.cuts,
        a.maxBin + 1,
        k.computeCuts,
        v.binLookup,
      );
    } else if (phase === 1) {
      // A block: first its rows take the last tree's leaves, then the boosting step, then the
      // root histogram of its sampled rows (all while the block's data is in cache).
      const start = tt[o];
      for (let q = tt[o + 2]; q < tt[o + 2] + tt[o + 3]; q++) {
        const e = q * 6;
        const f = tt[e + 3];
        if (f < 0)
          k.applyLeaf(
            tt[e + 4] === 0 ? v.ids0 : v.ids1,
            tt[e],
            tt[e + 1],
            v.expNegMargin,
            v.treeLeafFactor,
            tt[e + 2],
          );
        else
          k.applyLastSplit(
            a.idsFrom === 0 ? v.ids0 : v.ids1,
            tt[e],
            tt[e + 1],
            v.expNegMargin,
            v.treeLeafFactor,
            v.binsByFeature,
            f * a.nRows,
            tt[e + 4],
            v.missingCodes[f],
            tt[e + 5],
            tt[e + 2],
          );
      }
      const sampled =
        k.boostBlock(
          start,
          tt[o + 1],
          v.expNegMargin,
          v.labels,
          v.weights,
          v.gh,
          a.scalePosWeight,
          a.subsample,
          a.seed,
          a.round,
          t,
          v.ids0,
        ) - start;
      v.results[t] = sampled;
      const base = t * a.histDoubles;
      v.partial.fill(0, base, base + a.histDoubles);
      k.histogramBlock(
        v.ids0,
        start,
        start + sampled,
        v.bins,
        v.gh,
        v.partial,
        base >> 1,
        a.histColumns,
        a.histOffsets,
      );
    } else {
      const ids = a.idsFrom === 0 ? v.ids0 : v.ids1;
      const base = tt[o + 2] * a.histDoubles;
      if (phase === 3) v.partial.fill(0, base, base + a.histDoubles);
      for (let q = tt[o]; q < tt[o] + tt[o + 1]; q++) {
        const e = q * 6;
        if (phase === 2) {
          // start, end, feature, split bin, default-left, result slot
          v.results[tt[e + 5]] =
            k.partitionBlock(
              ids,
              tt[e],
              tt[e + 1],
              a.idsFrom === 0 ? v.ids1 : v.ids0,
              v.binsByFeature,
              tt[e + 2] * a.nRows,
              tt[e + 3],
              v.missingCodes[tt[e + 2]],
              tt[e + 4],
            ) - tt[e];
        } else {
          k.histogramBlock(
            ids,
            tt[e],
            tt[e + 1],
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
}
