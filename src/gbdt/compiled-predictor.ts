import { baseMargin, InterpretedPredictor, sigmoid32, type Predictor } from "./predictor.js";
import { SUM_TREES_WASM } from "./sum-trees-wasm.js";
import { treeDepth, type RegressionTree } from "./tree.js";

/** Rows scored together in a batch: their threshold codes (and each tree) stay in L1. A multiple of 8. */
export const BLOCK_ROWS = 128;

/**
 * A node word is `(threshold code << 12) | row slot`, so a model fits the packed form when it
 * splits on at most 2,048 features (two slots each) and no feature has more distinct thresholds
 * than the codes below leave room for. Beyond that the predictor falls back to the interpreter.
 */
const MAX_SLOTS = 1 << 12;
/** Code of a NaN in the slot for "missing goes right": above every threshold's code. */
const NAN_RIGHT_CODE = (1 << 19) - 2;
/**
 * Word of a leaf: the sign bit set (split words are never negative, so `word < 0` tests for a
 * leaf) and slot 0. Its threshold code is below every row code, so the step goes "right", to
 * `child + 2`, and a leaf's child word is its own offset − 2: a leaf steps to itself.
 */
const LEAF_WORD = 1 << 31;

/**
 * The ensemble as a flat, integer-only program (all arrays shared so batch workers read it
 * without a copy).
 *
 * Thresholds become integers: each feature's distinct thresholds are sorted, and a value's
 * `code` is how many of them are `<=` it (`Math.fround`ed, as XGBoost compares in float32). Then
 * `value < threshold[j]` exactly when `code <= j`, so a node compares small integers and the
 * step is computed branch-free from a sign bit. Each feature gets two slots in a row's codes:
 * slot `2u` holds NaN as -1 (below everything: goes left) and slot `2u + 1` as NAN_RIGHT_CODE
 * (goes right); a node reads the slot of its default direction, so missing values need no test.
 *
 * Trees are renumbered breadth-first so a node's children are adjacent (right = left + 2 in
 * `nodes`); a leaf points to itself, so every row takes exactly `depth` steps: no exit branch.
 */
export interface PackedProgram {
  /** Node at offset o (even): [o] = (code << 12) | slot, [o + 1] = offset of the left child. */
  readonly nodes: Int32Array;
  /** Leaf value of the node at offset o, at `o >> 1` (0 for split nodes). */
  readonly leaves: Float32Array;
  /** Offset of each tree's root. */
  readonly roots: Int32Array;
  /** Steps to reach a leaf of each tree from its root (the deepest leaf's depth). */
  readonly depths: Int32Array;
  /** Model feature index of each used feature u (the features some split reads). */
  readonly features: Int32Array;
  /** Sorted distinct thresholds of used feature u: `cuts[cutStarts[u] .. cutStarts[u + 1])`. */
  readonly cuts: Float32Array;
  readonly cutStarts: Int32Array;
  /**
   * Where a value's code search starts, by the top bits of its float32 order key (see
   * `orderKey`; feature u keeps the top `32 - keyShifts[u]` bits, 16 unless its table would
   * exceed its share of TABLE_ENTRIES): for key k in `[keyLows[u], keyLows[u] + span)`,
   * `keyTable[keyTableStarts[u] + k - keyLows[u]]` is how many of its thresholds have a smaller
   * key, all of them `<=` the value. The rest of the search is a scan over the thresholds that
   * share the value's key, almost always none or one (a binary search over 256 thresholds was
   * most of the batch time once rows stop at their leaf).
   */
  readonly keyTable: Int32Array;
  readonly keyTableStarts: Int32Array;
  readonly keyLows: Int32Array;
  readonly keyShifts: Int32Array;
  /** Int32s per row of codes: two per used feature (at least 2, so a leaf's slot 0 exists). */
  readonly stride: number;
  readonly margin0: number;
}

/**
 * One thread's scorer: the program's trees copied into a WebAssembly memory laid out for
 * `sumTreesWat()` (sum-trees-wat.ts), with a block's codes and sums. `codes` and `acc` view that
 * memory; `sumTrees(m)` adds every tree's leaf to `acc` for the block's first `m` coded rows
 * (`scoreRows`), `sumRow()` returns the margin of the row coded first (`predictMargin`).
 */
export interface BlockScratch {
  readonly codes: Int32Array;
  readonly acc: Float32Array;
  readonly sumTrees: (m: number) => void;
  readonly sumRow: () => number;
}

let compiledSumTrees: WebAssembly.Module | undefined;

/** The batch walk's compiled module (compiled once a process; workers are posted it). */
export function sumTreesModule(): WebAssembly.Module {
  return (compiledSumTrees ??= new WebAssembly.Module(Buffer.from(SUM_TREES_WASM, "base64")));
}

/** A thread's scorer for `p`, running `module` (`sumTreesModule()`; self-contained: also runs in workers). */
export function newBlockScratch(p: PackedProgram, module: WebAssembly.Module): BlockScratch {
  const trees = p.roots.length;
  let top = 0;
  const region = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    return at;
  };
  // A tree that is a single leaf has its "child" 8 bytes before its root: the first tree's must be
  // in the memory too (the walk reads it before it sees the root is a leaf).
  region(8);
  const nodes = region(4 * p.nodes.length);
  const leaves = region(4 * p.leaves.length);
  const roots = region(4 * trees);
  const depths = region(4 * trees);
  const codes = region(4 * BLOCK_ROWS * p.stride);
  const acc = region(4 * BLOCK_ROWS);
  const list = region(4 * (BLOCK_ROWS + 8));
  const runLeaves = region(8 * trees);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(top / 65536) });
  const words = new Int32Array(memory.buffer);
  // Child words become byte addresses (a node at word o sits at nodes + 4o).
  for (let o = 0; o < p.nodes.length; o += 2) {
    words[nodes / 4 + o] = p.nodes[o];
    words[nodes / 4 + o + 1] = nodes + 4 * p.nodes[o + 1];
  }
  new Float32Array(memory.buffer, leaves, p.leaves.length).set(p.leaves);
  for (let t = 0; t < trees; t++) {
    words[roots / 4 + t] = nodes + 4 * p.roots[t];
    words[depths / 4 + t] = p.depths[t];
  }
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<
    "sumTrees" | "sumRow",
    (...args: number[]) => number
  >;
  return {
    codes: new Int32Array(memory.buffer, codes, BLOCK_ROWS * p.stride),
    acc: new Float32Array(memory.buffer, acc, BLOCK_ROWS),
    sumTrees: (m) => {
      kernel.sumTrees(nodes, leaves, roots, depths, trees, codes, 4 * p.stride, m, acc, list, runLeaves);
    },
    sumRow: () => kernel.sumRow(nodes, leaves, roots, depths, trees, codes, p.margin0),
  };
}

const shared = {
  int32: (n: number) => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
  float32: (n: number) => new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
};

/** Sorted distinct split thresholds per feature, for the features some split uses. */
function thresholdsByFeature(trees: readonly RegressionTree[]): Map<number, Float32Array> {
  const sets = new Map<number, Set<number>>();
  for (const t of trees)
    for (let i = 0; i < t.leftChildren.length; i++) {
      if (t.leftChildren[i] === -1) continue;
      const f = t.splitIndices[i];
      if (!sets.has(f)) sets.set(f, new Set());
      sets.get(f)!.add(t.splitConditions[i]);
    }
  const sorted = [...sets.keys()].sort((a, b) => a - b);
  return new Map(sorted.map((f) => [f, Float32Array.from(sets.get(f)!).sort()]));
}

/**
 * The order key of a float32's bit pattern (increasing with the float's value: positive floats
 * get the sign bit, negative ones are inverted), shifted right by `shift` (16-31).
 */
function orderKey(bits: number, shift: number): number {
  return bits >= 0 ? (bits | 0x80000000) >>> shift : ~bits >>> shift;
}

/**
 * Code-table entries for all features together (16 MB): a feature's table has at most 65,536
 * entries (16 key bits), and fewer bits when many features would exceed this (then each gets
 * at least 1,024 entries, and values scan a few more thresholds).
 */
const TABLE_ENTRIES = 1 << 22;

/** `keyTable` and its index (see `PackedProgram`) for the sorted thresholds of each used feature. */
function keyTables(cuts: Float32Array, cutStarts: Int32Array) {
  const nu = cutStarts.length - 1;
  const f32 = new Float32Array(1);
  const bits = new Int32Array(f32.buffer);
  const keyOf = (v: number, shift: number) => ((f32[0] = v), orderKey(bits[0], shift));
  const keyLows = shared.int32(nu);
  const keyShifts = shared.int32(nu);
  const keyTableStarts = shared.int32(nu + 1);
  const maxSpan = Math.max(1024, Math.floor(TABLE_ENTRIES / Math.max(1, nu)));
  const parts: Int32Array[] = [];
  for (let u = 0; u < nu; u++) {
    const lo = cutStarts[u];
    const len = cutStarts[u + 1] - lo;
    let shift = 16;
    while (keyOf(cuts[lo + len - 1], shift) - keyOf(cuts[lo], shift) >= maxSpan) shift++;
    const k0 = keyOf(cuts[lo], shift);
    const part = new Int32Array(keyOf(cuts[lo + len - 1], shift) - k0 + 1);
    for (let b = 0, j = 0; b < part.length; b++) {
      while (j < len && keyOf(cuts[lo + j], shift) < k0 + b) j++;
      part[b] = j;
    }
    keyLows[u] = k0;
    keyShifts[u] = shift;
    keyTableStarts[u + 1] = keyTableStarts[u] + part.length;
    parts.push(part);
  }
  const keyTable = shared.int32(keyTableStarts[nu]);
  parts.forEach((part, u) => keyTable.set(part, keyTableStarts[u]));
  return { keyTable, keyTableStarts, keyLows, keyShifts };
}

/** The packed program, or undefined when the model exceeds the packed form's limits. */
export function packProgram(trees: readonly RegressionTree[], baseScore: number): PackedProgram | undefined {
  const byFeature = thresholdsByFeature(trees);
  if (byFeature.size * 2 > MAX_SLOTS) return undefined;
  for (const c of byFeature.values()) if (c.length >= NAN_RIGHT_CODE) return undefined;

  const features = shared.int32(byFeature.size);
  const cutStarts = shared.int32(byFeature.size + 1);
  const cuts = shared.float32([...byFeature.values()].reduce((s, c) => s + c.length, 0));
  const slotBase = new Map<number, number>();
  const rank = new Map<number, Map<number, number>>();
  [...byFeature].forEach(([f, c], u) => {
    features[u] = f;
    cuts.set(c, cutStarts[u]);
    cutStarts[u + 1] = cutStarts[u] + c.length;
    slotBase.set(f, 2 * u);
    rank.set(f, new Map(Array.from(c, (v, j) => [v, j])));
  });

  const total = trees.reduce((s, t) => s + t.leftChildren.length, 0);
  const nodes = shared.int32(total * 2);
  const leaves = shared.float32(total);
  const roots = shared.int32(trees.length);
  const depths = shared.int32(trees.length);
  let next = 0;
  trees.forEach((t, i) => {
    roots[i] = next * 2;
    depths[i] = treeDepth(t);
    next = packTree(t, next, (node, k, left) => {
      if (left < 0) {
        nodes[2 * k] = LEAF_WORD;
        nodes[2 * k + 1] = 2 * k - 2;
        leaves[k] = t.splitConditions[node];
        return;
      }
      const f = t.splitIndices[node];
      const slot = slotBase.get(f)! + (t.defaultLeft[node] ? 0 : 1);
      nodes[2 * k] = (rank.get(f)!.get(t.splitConditions[node])! << 12) | slot;
      nodes[2 * k + 1] = 2 * left;
    });
  });
  const stride = Math.max(2, 2 * byFeature.size);
  return {
    nodes,
    leaves,
    roots,
    depths,
    features,
    cuts,
    cutStarts,
    ...keyTables(cuts, cutStarts),
    stride,
    margin0: baseMargin(baseScore),
  };
}

/**
 * Numbers tree `t`'s nodes breadth-first from `start`, children side by side, calling
 * `emit(node, index, leftIndex)` for each (leftIndex -1 for a leaf). Returns the next free index.
 */
function packTree(
  t: RegressionTree,
  start: number,
  emit: (node: number, index: number, leftIndex: number) => void,
): number {
  const queue = [0];
  const indexOf = new Map<number, number>([[0, start]]);
  let free = start + 1;
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q];
    const left = t.leftChildren[node];
    if (left === -1) {
      emit(node, indexOf.get(node)!, -1);
      continue;
    }
    emit(node, indexOf.get(node)!, free);
    indexOf.set(left, free);
    indexOf.set(t.rightChildren[node], free + 1);
    queue.push(left, t.rightChildren[node]);
    free += 2;
  }
  return free;
}

// The functions below and `newBlockScratch` are the batch path. They are self-contained
// (parameters, literals and globals only) because `ParallelBatchPredictor` also sends their
// source to its workers.

/**
 * Writes the codes of `m` rows (from `start`, given column-wise in model order) into
 * `codes[r * stride ..]`, both slots of each used feature. A value's code starts from the
 * threshold count `keyTable` gives for the top bits of its order key and scans the few
 * thresholds left (see `PackedProgram`): exact, since the scan compares the floats themselves.
 */
export function codeRows(
  p: PackedProgram,
  columns: readonly ArrayLike<number>[],
  start: number,
  m: number,
  codes: Int32Array,
): void {
  const { features, cuts, cutStarts, keyTable, keyTableStarts, keyLows, keyShifts, stride } = p;
  // The block's values as float32 (the rounding XGBoost compares with) and their bit patterns.
  const values = new Float32Array(m);
  const bits = new Int32Array(values.buffer);
  for (let u = 0; u < features.length; u++) {
    const col = columns[features[u]];
    for (let r = 0; r < m; r++) values[r] = col[start + r];
    const lo = cutStarts[u];
    const len = cutStarts[u + 1] - lo;
    const k0 = keyLows[u];
    const sh = keyShifts[u];
    const t0 = keyTableStarts[u];
    const span = keyTableStarts[u + 1] - t0;
    for (let r = 0; r < m; r++) {
      const x = values[r];
      const b = bits[r];
      const key = (b >= 0 ? (b | 0x80000000) >>> sh : ~b >>> sh) - k0; // orderKey, inlined for the workers
      let k = key < 0 ? 0 : key >= span ? len : keyTable[t0 + key];
      while (k < len && cuts[lo + k] <= x) k++;
      const nan = x !== x;
      codes[r * stride + 2 * u] = nan ? -1 : k;
      codes[r * stride + 2 * u + 1] = nan ? (1 << 19) - 2 : k; // NAN_RIGHT_CODE, a literal for the workers
    }
  }
}

/**
 * Scores rows [start, end) of `columns` into `out` (probabilities rounded to float32, or margins),
 * a block of `scratch.acc.length` (BLOCK_ROWS) rows at a time: code the block once, then sum
 * every tree over it.
 */
export function scoreRows(
  p: PackedProgram,
  columns: readonly ArrayLike<number>[],
  start: number,
  end: number,
  out: Float64Array,
  asMargin: boolean,
  scratch: BlockScratch,
): void {
  const { codes, acc } = scratch;
  const block = acc.length;
  for (let b0 = start; b0 < end; b0 += block) {
    const m = Math.min(block, end - b0);
    codeRows(p, columns, b0, m, codes);
    acc.fill(p.margin0);
    scratch.sumTrees(m);
    if (asMargin) for (let r = 0; r < m; r++) out[b0 + r] = acc[r];
    else for (let r = 0; r < m; r++) out[b0 + r] = Math.fround(1 / (1 + Math.exp(-acc[r])));
  }
}

/**
 * The ensemble compiled into a packed integer program (see `PackedProgram`); it is "compiled" in
 * treelite's sense: the model becomes a specialised program, not a tree of objects walked by a
 * general interpreter. Generated JavaScript was measured slower (see docs/gbdt.md).
 */
export class CompiledPredictor implements Predictor {
  /** Undefined for a model beyond the packed form's limits: then the interpreter scores. */
  readonly program: PackedProgram | undefined;
  private readonly fallback: InterpretedPredictor;
  private readonly scratch: BlockScratch | undefined;

  constructor(
    readonly featureNames: readonly string[],
    trees: readonly RegressionTree[],
    baseScore: number,
  ) {
    this.program = packProgram(trees, baseScore);
    this.fallback = new InterpretedPredictor(featureNames, trees, baseScore);
    this.scratch = this.program && newBlockScratch(this.program, sumTreesModule());
  }

  predictMargin(values: ArrayLike<number>): number {
    const p = this.program;
    if (!p) return this.fallback.predictMargin(values);
    codeRow(p, values, this.scratch!.codes);
    return this.scratch!.sumRow();
  }

  predictRow(values: ArrayLike<number>): number {
    return sigmoid32(this.predictMargin(values));
  }

  predictBatch(
    columns: readonly ArrayLike<number>[],
    nRows: number,
    out = new Float64Array(nRows),
    opts: { margin?: boolean } = {},
  ): Float64Array {
    const nf = this.featureNames.length;
    if (columns.length !== nf) throw new RangeError(`expected ${nf} feature columns, got ${columns.length}`);
    if (!this.program) return this.fallback.predictBatch(columns, nRows, out, opts);
    scoreRows(this.program, columns, 0, nRows, out, opts.margin === true, this.scratch!);
    return out;
  }
}

/** Writes the codes of one row (values in model feature order), both slots of each used feature. */
function codeRow(p: PackedProgram, values: ArrayLike<number>, codes: Int32Array): void {
  const { features, cuts, cutStarts, keyTable, keyTableStarts, keyLows, keyShifts } = p;
  for (let u = 0; u < features.length; u++) {
    rowValue[0] = values[features[u]];
    const x = rowValue[0];
    const key = orderKey(rowBits[0], keyShifts[u]) - keyLows[u];
    const lo = cutStarts[u];
    const len = cutStarts[u + 1] - lo;
    const t0 = keyTableStarts[u];
    let k = key < 0 ? 0 : key >= keyTableStarts[u + 1] - t0 ? len : keyTable[t0 + key];
    while (k < len && cuts[lo + k] <= x) k++;
    codes[2 * u] = x !== x ? -1 : k;
    codes[2 * u + 1] = x !== x ? NAN_RIGHT_CODE : k;
  }
}

/** One value as float32 and its bit pattern, for `codeRow` (the main thread's single-row path). */
const rowValue = new Float32Array(1);
const rowBits = new Int32Array(rowValue.buffer);
