/**
 * The per-row hot loops of training. Each works on one fixed block of rows and writes only that
 * block's own output, so results do not depend on which thread ran which block: that is what
 * makes a model byte-identical whatever `n_jobs` is.
 *
 * These functions are shipped to worker threads as source text (`Function.prototype.toString`),
 * so they must stay self-contained: no imports, no closures, no inner functions; the helpers
 * they call (`splitsRight`, `fillBinLookup`) are shipped alongside them.
 */

import type { computeCuts } from "./binning.js";

/**
 * Rows per block of the training tasks: 16,384, doubled until there are at most 64 blocks. Small
 * blocks keep a block's data in cache; few blocks keep the per-node bookkeeping small (a node
 * has a piece of ids per block, see tree-grower.ts). It depends on the row count only, never on
 * the thread count: blocks seed the subsample draws and group float sums.
 */
export function blockRowsFor(nRows: number): number {
  let rows = 16_384;
  while (rows * 64 < nRows) rows *= 2;
  return rows;
}

/**
 * Quantile cuts of one feature (`quantileCuts` is binning.ts's `computeCuts`, passed in so this
 * stays free of imports) from its column of the feature-major cut sample (`takeCutSample`),
 * written to `allCuts` from `feature * cutsStride`; returns how many. With byte-sized bins, a
 * feature with missing values (`hasMissing`, found over all its rows) gives one bin to the
 * missing code. Also fills the feature's bin lookup table (65,537 entries from
 * `feature * 65537` of `lookup`, see `binBlock`): entry p is the bin of the smallest value whose
 * order key starts with the 16 bits p; entry 65,536 is the last bin.
 */
export function cutsTask(
  sample: Float32Array,
  sampleRows: number,
  feature: number,
  hasMissing: boolean,
  maxBin: number,
  allCuts: Float32Array,
  cutsStride: number,
  quantileCuts: typeof computeCuts,
  lookup: Uint16Array,
): number {
  const col = sample.subarray(feature * sampleRows, (feature + 1) * sampleRows);
  const cuts = quantileCuts(col, maxBin === 256 && hasMissing ? 255 : maxBin).cuts;
  allCuts.set(cuts, feature * cutsStride);
  fillBinLookup(cuts, lookup, feature * 65537);
  return cuts.length;
}

/**
 * One feature's bin lookup table (see `cutsTask`), from `table` on in `lookup`. The loop ends
 * the function: V8's on-stack compilation of a long loop's first run is thrown away at the loop's
 * end when code after it has no type feedback yet (see binning.ts's `computeCuts`).
 */
export function fillBinLookup(cuts: Float32Array, lookup: Uint16Array, table: number): void {
  const nCuts = cuts.length;
  const keyBits = new Int32Array(1);
  const keyValue = new Float32Array(keyBits.buffer);
  lookup[table + 65536] = nCuts - 1;
  let bin = 0;
  for (let p = 0; p < 65536; p++) {
    const key = p << 16;
    keyBits[0] = key ^ (((key >> 31) ^ -1) | 0x80000000); // the float whose order key this is
    const v = keyValue[0];
    // NaN bit patterns are no value: below every bin (negative NaNs) or past every bin (positive).
    if (v !== v) lookup[table + p] = p < 0x8000 ? 0 : nCuts - 1;
    else {
      while (bin < nCuts - 1 && !(cuts[bin] > v)) bin++;
      lookup[table + p] = bin;
    }
  }
}

/**
 * Bins every feature for rows [start, end), whose values are feature f's from
 * `values[f * valuesStride]` on: index of the first cut above the value (the last cut is
 * +Infinity, so at most the cut count - 1); NaN gets the cut count. `plan` holds per
 * feature its cut count, its bundle's column in the row-major `bins` (`binColumns` a row) and
 * its stride in that column's joint code (see feature-bundles.ts): members of a bundle add their
 * parts in turn. The code also goes to the feature-major `binsByFeature`.
 *
 * A binary search over 256 cuts took ~22 ns a value (eight dependent, mispredicted steps).
 * Instead: a float32's bits, with the sign bit flipped for positives and every bit flipped for
 * negatives, are an unsigned key in the values' order. The feature's lookup table (`cutsTask`)
 * gives for the key's top 16 bits the bin of the smallest value with those bits, and for the
 * next 16 bits the next such bin: the answer lies between the two, almost always equal.
 */
export function binBlock(
  values: Float32Array,
  valueBits: Int32Array,
  valuesStride: number,
  nRows: number,
  allCuts: Float32Array,
  cutsStride: number,
  lookup: Uint16Array,
  plan: readonly number[],
  bins: Uint8Array | Uint16Array,
  binsByFeature: Uint8Array | Uint16Array,
  binColumns: number,
  start: number,
  end: number,
): void {
  const nFeatures = plan.length / 3;
  for (let f = 0; f < nFeatures; f++) {
    const nCuts = plan[3 * f];
    const column = plan[3 * f + 1];
    const stride = plan[3 * f + 2];
    const cuts = allCuts.subarray(f * cutsStride, f * cutsStride + nCuts);
    const table = f * 65537;
    const base = f * nRows;
    const from = f * valuesStride - start;
    for (let i = start; i < end; i++) {
      const b = valueBits[from + i];
      let code;
      if ((b & 0x7fffffff) > 0x7f800000)
        code = nCuts; // NaN
      else {
        const top = (b ^ ((b >> 31) | 0x80000000)) >>> 16;
        let lo = lookup[table + top];
        let hi = lookup[table + top + 1];
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cuts[mid] > values[from + i]) hi = mid;
          else lo = mid + 1;
        }
        code = lo;
      }
      bins[i * binColumns + column] += code * stride;
      binsByFeature[base + i] = code;
    }
  }
}

/**
 * The state (a, b, c; d starts at 1) of the subsample generator of block `block` in round `round`:
 * sfc32 seeded by splitmix32 of (seed, round, block), the generator of `random/`, written here
 * because the kernels run in workers as shipped source (no imports). `boostBlock` and the
 * WebAssembly boost kernel (wasm-kernels.ts) both start from it.
 */
export function seedBlockGenerator(seed: number, round: number, block: number): Int32Array {
  let s =
    (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^
      Math.imul(round + 1, 0x85ebca6b) ^
      Math.imul(block + 1, 0xc2b2ae35)) >>>
    0;
  const state = new Int32Array(3);
  for (let j = 0; j < 3; j++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    state[j] = z ^ (z >>> 16);
  }
  return state;
}

/**
 * One boosting step for rows [start, end), whose margins (kept as e^-margin, see below) already
 * hold every tree so far (`applyLeaf`): draw the row subsample from a generator seeded by (seed,
 * round, block); compute the logistic gradient and hessian of the sampled rows. Sampled row ids
 * are written to `ids[start..]` in order, the others down from `ids[end - 1]`; returns where the
 * sampled ids end (see `partitionBlock` for why not their count).
 *
 * Why e^-margin: the probability is 1 / (1 + e^-margin), and V8's `Math.exp` was half of this
 * pass (~15 ns a row, and no polynomial we tried beat it). A tree adds a leaf value v to the
 * margin, so it multiplies e^-margin by e^-v, computed once per leaf: a multiply a row instead
 * of an exp. Over 200 rounds the product drifts from the exp of the sum by ~1e-15 relative,
 * far below the float32 the gradients are stored in.
 */
export function boostBlock(
  start: number,
  end: number,
  expNegMargin: Float64Array,
  labels: Float32Array,
  weights: Float32Array | null,
  gh: Float32Array,
  scalePosWeight: number,
  subsample: number,
  seed: number,
  round: number,
  block: number,
  ids: Uint32Array,
): number {
  // The block's generator (`seedBlockGenerator`), its state then kept in locals.
  const state = seedBlockGenerator(seed, round, block);
  let ra = state[0];
  let rb = state[1];
  let rc = state[2];
  let rd = 1;
  let count = start;
  // A row is sampled when its 32-bit draw u satisfies u / 2^32 < subsample, i.e. u < cut, i.e.
  // u < ceil(cut): that bound as int32 bits, compared without leaving int32 (below).
  const cut = Math.ceil(subsample * 4294967296);
  if (cut >= 4294967296) {
    for (let i = start; i < end; i++) ids[i] = i;
    count = end;
  } else {
    const c = cut | 0;
    let out = end - 1;
    // Both ends are written for every row and only one cursor moves (as in `partitionBlock`):
    // a branch on the draw is mispredicted for a fifth of the rows at subsample 0.8, and was
    // about a third of this kernel.
    for (let i = start; i < end; i++) {
      const t = (((ra + rb) | 0) + rd) | 0;
      rd = (rd + 1) | 0;
      ra = rb ^ (rb >>> 9);
      rb = (rc + (rc << 3)) | 0;
      rc = (rc << 21) | (rc >>> 11);
      rc = (rc + t) | 0;
      // 1 when t < c as unsigned 32-bit numbers: the borrow of t - c (Hacker's Delight 2-12)
      const take = ((~t & c) | ((~t | c) & ((t - c) | 0))) >>> 31;
      ids[count] = i;
      ids[out] = i;
      count += take;
      out -= 1 - take;
    }
  }
  // Gradients of the sampled rows only (histograms visit sampled rows only), in row order.
  for (let k = start; k < count; k++) {
    const i = ids[k];
    const p = 1 / (1 + expNegMargin[i]);
    const y = labels[i];
    let w = y > 0.5 ? scalePosWeight : 1;
    if (weights !== null) w *= weights[i];
    const h = p * (1 - p);
    // float32 gradient pairs, as XGBoost keeps them: half the bytes on every random access.
    gh[2 * i] = (p - y) * w;
    gh[2 * i + 1] = (h > 1e-16 ? h : 1e-16) * w;
  }
  return count;
}

/**
 * Adds the last tree's leaf `leaf` to the margins of the rows `ids[start, end)`: multiplies
 * their e^-margin by `leafFactor[leaf]` (e^-value). Run by the next round's boost task for the
 * block holding these ids, so the scattered margins it updates lie within that block's 128 KB.
 */
export function applyLeaf(
  ids: Uint32Array,
  start: number,
  end: number,
  expNegMargin: Float64Array,
  leafFactor: Float64Array,
  leaf: number,
): void {
  const factor = leafFactor[leaf];
  for (let k = start; k < end; k++) expNegMargin[ids[k]] *= factor;
}

/**
 * Like `applyLeaf` for the rows `ids[start, end)` of a node split at the tree's last level, which
 * were never partitioned (nothing else reads them): each takes the leaf its split sends it to,
 * `left` or `left + 1`. The split test is `partitionBlock`'s.
 */
export function applyLastSplit(
  ids: Uint32Array,
  start: number,
  end: number,
  expNegMargin: Float64Array,
  leafFactor: Float64Array,
  binsByFeature: Uint8Array | Uint16Array,
  columnStart: number,
  splitBin: number,
  missingCode: number,
  defaultLeft: number,
  left: number,
): void {
  for (let k = start; k < end; k++) {
    const i = ids[k];
    const leaf = left + splitsRight(binsByFeature[columnStart + i], splitBin, missingCode, defaultLeft);
    expNegMargin[i] *= leafFactor[leaf];
  }
}

/**
 * 1 when a row with bin `code` goes right at a split after `splitBin`, else 0. Sign-bit
 * arithmetic, not comparisons: V8 compiles `a <= b ? 1 : 0` to a branch, which the CPU
 * mispredicts on every other row of a real split (measured: the comparison was the partition's
 * hottest line). The missing code sorts after every split bin, so it goes right unless the
 * split sends missing values left.
 */
export function splitsRight(
  code: number,
  splitBin: number,
  missingCode: number,
  defaultLeft: number,
): number {
  const isMissing = ((code ^ missingCode) - 1) >>> 31;
  return ((splitBin - code) >>> 31) ^ (isMissing & defaultLeft);
}

/**
 * Splits the ids `from[start, end)` of one node piece into `to[start, end)`: ids going left in
 * order from `to[start]`, the others down from `to[end - 1]`. Returns where the left ids end.
 * (Training runs it as WebAssembly, `partitionModule` in wasm-kernels.ts: the same ids in the
 * same slots; this one is the reference.)
 *
 * Not the left count: V8 compiles the loop on stack (OSR) in the first call, before any
 * code after the loop has run, so an operation there (`nl - start`) has no type feedback, and
 * that on-stack code deoptimised on it in every later call: ~500-1,800 times a training.
 */
export function partitionBlock(
  from: Uint32Array,
  start: number,
  end: number,
  to: Uint32Array,
  binsByFeature: Uint8Array | Uint16Array,
  columnStart: number,
  splitBin: number,
  missingCode: number,
  defaultLeft: number,
): number {
  let nl = start;
  let nr = end - 1;
  // Both cursors' slots are written every time and only one cursor advances: no unpredictable
  // branch. A slot written for the other side is rewritten later (the cursors meet at the end,
  // where both writes of the last id land on the same slot).
  for (let k = start; k < end; k++) {
    const i = from[k];
    // One feature's codes of scattered rows: a feature-major column stays in cache, rows do not.
    const code = binsByFeature[columnStart + i];
    const goRight = splitsRight(code, splitBin, missingCode, defaultLeft);
    to[nl] = i;
    to[nr] = i;
    nl += 1 - goRight;
    nr -= goRight;
  }
  return nl;
}

/**
 * The JavaScript histogram kernel, the reference `bench/histogram-wasm.mjs` measures the engine's
 * WebAssembly kernel (wasm-kernels.ts: the same additions in the same order) against.
 *
 * Source of the histogram kernel for `count` columns of a row-major layout of `binColumns`,
 * unrolled over them (measured about twice as fast as a loop over features in V8). Which
 * features are accumulated is an argument, not baked in: with `colsample_bytree` < 1 a tree's
 * unsampled features are skipped, and one kernel per count (not per subset) stays warm in V8.
 * Signature: `(rows, start, end, bins, gh, out, outBase, columns, offsets)`; for each row adds
 * its gradient and hessian into the slot of its bin of feature `columns[j]`, whose first slot is
 * `offsets[j]` past `outBase`, in `out` (which the caller zeroes). With `inOrder` (the root's
 * rows: most rows, in increasing order, so the hardware prefetcher already streams them) the
 * touch-ahead loop below is left out. (Running the root densely over every row instead, unsampled
 * ones adding a zero pair, measured 12 % slower than this at subsample 0.8: the pass is bound by
 * its adds, not by the indirection.)
 */
export function histogramKernelSource(binColumns: number, count: number, inOrder: boolean): string {
  const init: string[] = [];
  const lines: string[] = [];
  for (let j = 0; j < count; j++) {
    init.push(`const c${j} = columns[${j}], o${j} = outBase + offsets[${j}];`);
    lines.push(`s = (o${j} + bins[b + c${j}]) << 1; out[s] += g; out[s + 1] += h;`);
  }
  if (inOrder) {
    return `return function histogramBlockInOrder(rows, start, end, bins, gh, out, outBase, columns, offsets) {
  ${init.join("\n  ")}
  for (let k = start; k < end; k++) {
    const i = rows[k];
    const g = gh[2 * i];
    const h = gh[2 * i + 1];
    const b = i * ${binColumns};
    let s;
    ${lines.join("\n    ")}
  }
  return 0;
};`;
  }
  return `return function histogramBlock(rows, start, end, bins, gh, out, outBase, columns, offsets) {
  ${init.join("\n  ")}
  // Rows come in chunks of 256: a tight first loop only touches each row's codes and gradient
  // pair, so the CPU has dozens of cache misses in flight at once (the rows of a deep node are
  // scattered over the whole data); the unrolled second loop then finds them in cache. JS has
  // no prefetch instruction; this is the same idea (measured ~20% faster histogram passes).
  // \`touched\` is returned only so the loads are not optimised away.
  let touched = 0;
  for (let c = start; c < end; c += 256) {
    const ce = c + 256 < end ? c + 256 : end;
    for (let k = c; k < ce; k++) {
      const i = rows[k];
      touched ^= bins[i * ${binColumns}] ^ (gh[2 * i] > 0 ? 1 : 0);
    }
    for (let k = c; k < ce; k++) {
      const i = rows[k];
      const g = gh[2 * i];
      const h = gh[2 * i + 1];
      const b = i * ${binColumns};
      let s;
      ${lines.join("\n      ")}
    }
  }
  return touched;
};`;
}

export type HistogramKernel = (
  rows: Uint32Array,
  start: number,
  end: number,
  bins: Uint8Array | Uint16Array,
  gh: Float32Array,
  out: Float64Array,
  outBase: number,
  columns: readonly number[],
  offsets: readonly number[],
) => number;

// The WebAssembly kernels (wasm-kernels.ts) behind the JavaScript kernels' signatures, for
// `runTasks`. Each builds its instance in the thread that calls it (they are shipped as the others
// are) and returns a function over it: the views it is given are regions of the shared kernel
// memory, passed on as byte addresses.

/**
 * A histogram kernel (`HistogramKernel`'s signature) running `module`'s WebAssembly over the shared
 * kernel memory: the views it is given are regions of that memory, passed as byte addresses
 * (self-contained: also runs inside workers).
 */
export function wasmHistogramKernel(module: WebAssembly.Module, memory: WebAssembly.Memory): HistogramKernel {
  const histogram = new WebAssembly.Instance(module, { env: { memory } }).exports.histogram as (
    ...args: number[]
  ) => number;
  return (rows, start, end, bins, gh, out, outBase, columns, offsets) =>
    histogram(
      rows.byteOffset,
      start,
      end,
      bins.byteOffset,
      gh.byteOffset,
      out.byteOffset + 16 * outBase,
      ...columns,
      ...offsets,
    );
}

/**
 * `partitionBlock` (kernels.ts) running `module`'s WebAssembly over the shared kernel memory, the
 * id buffers and codes it is given being regions of it (self-contained: also runs inside workers).
 */
export function wasmPartitionKernel(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  codeBytes: number,
): typeof partitionBlock {
  const partition = new WebAssembly.Instance(module, { env: { memory } }).exports.partition as (
    ...args: number[]
  ) => number;
  return (from, start, end, to, binsByFeature, columnStart, splitBin, missingCode, defaultLeft) =>
    partition(
      from.byteOffset,
      start,
      end,
      to.byteOffset,
      binsByFeature.byteOffset + columnStart * codeBytes,
      splitBin,
      missingCode,
      defaultLeft,
    );
}

/**
 * `boostBlock` (kernels.ts) running `module`'s WebAssembly over the shared kernel memory, from the
 * same generator state (`seedBlockGenerator`) (self-contained: also runs inside workers).
 */
export function wasmBoostKernel(module: WebAssembly.Module, memory: WebAssembly.Memory): typeof boostBlock {
  const boost = new WebAssembly.Instance(module, { env: { memory } }).exports.boost as (
    ...args: number[]
  ) => number;
  return (
    start,
    end,
    expNegMargin,
    labels,
    weights,
    gh,
    scalePosWeight,
    subsample,
    seed,
    round,
    block,
    ids,
  ) => {
    const state = seedBlockGenerator(seed, round, block);
    const cut = Math.ceil(subsample * 4294967296);
    return boost(
      start,
      end,
      expNegMargin.byteOffset,
      labels.byteOffset,
      weights === null ? 0 : weights.byteOffset,
      weights === null ? 0 : 1,
      gh.byteOffset,
      scalePosWeight,
      state[0],
      state[1],
      state[2],
      cut >= 4294967296 ? 1 : 0,
      cut | 0,
      ids.byteOffset,
    );
  };
}
