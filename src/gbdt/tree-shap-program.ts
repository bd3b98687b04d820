import { gaussLegendre01, type Quadrature } from "./gauss-legendre.js";
import { baseMargin } from "./predictor.js";
import type { RegressionTree } from "./tree.js";

/**
 * The ensemble flattened for TreeSHAP, built once per model: everything TreeSHAP needs that does
 * not depend on the row is computed here, so explaining a row is a walk that finds, for every
 * leaf, which of its path's features the row follows, and a few table look-ups (FastTreeSHAP's
 * "v2" idea, Yang 2021; see docs/explain.md). Every array is in shared memory so worker threads
 * read the same program without a copy.
 *
 * Nodes of all trees are numbered depth-first (preorder): a node's parent comes before it, and a
 * split's left child is the next node.
 * A leaf's path holds d distinct features, its **slots** (a feature split on twice on one path
 * shares one slot), each with a zero fraction z (the share of training cover that follows the
 * path's splits on it: XGBoost's `sum_hess` ratios multiplied). A row gives each slot a one
 * fraction o (1 when it follows every split of the path on that feature), a bit of the leaf's
 * **pattern** B. With v the leaf value, w(s) = s!(d−1−s)!/d! and
 *
 *     A(B) = v · Σ_{S ⊆ B} w(|S|) · Π_{g ∉ S} z_g
 *
 * the leaf's Shapley share is −A(B) for every slot the row does not follow and
 * (1 − z_f)/z_f · A(B without f) for every slot f it follows. A(B) is tabulated here for all 2^d
 * patterns of the leaf, as v · ∫₀¹ Π_{g∈B}(z_g + (1−z_g)t) · Π_{g∉B} z_g(1−t) dt / (1−t) by
 * Gauss–Legendre quadrature with ⌈d/2⌉ points (exact: the integrand is a polynomial of degree
 * d − 1). A leaf with no table (more than `TABLE_SLOTS` slots, a zero fraction too small to divide
 * by, or past the memory budget) is evaluated from its slots' z by the same integral at run time.
 */
export interface TreeShapProgram {
  readonly nFeatures: number;
  readonly nTrees: number;
  /** Split feature of each node, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Threshold (`x < t` goes left) of a split. */
  readonly threshold: Float32Array;
  /** 1 when a missing value goes right. */
  readonly defaultRight: Uint8Array;
  /** How many nodes after a split its right child comes (its left child is the next node). */
  readonly rightOffset: Int32Array;
  /** A split's pattern mask for its cold child: every bit set but its feature's slot. */
  readonly coldMask: Int32Array;
  /** Leaf number of each leaf node (-1 for splits); leaves are numbered in node order. */
  readonly leafOf: Int32Array;
  /** Root node of each tree, plus one past the last node. */
  readonly treeStart: Int32Array;
  /** Most nodes in one tree (the walk's scratch). */
  readonly maxTreeNodes: number;
  /** Features each tree splits on: `treeFeatures[treeFeatureStart[t] .. treeFeatureStart[t + 1])`. */
  readonly treeFeatures: Int32Array;
  readonly treeFeatureStart: Int32Array;
  /** Leaf values, by leaf number. */
  readonly leafValue: Float64Array;
  /** A leaf's slots: `[leafSlotStart[l] .. leafSlotStart[l + 1])`, in path order (slot k = bit k). */
  readonly leafSlotStart: Int32Array;
  /** Where a leaf's 2^d values of A start in `table`, or -1 when it has no table. */
  readonly leafTable: Int32Array;
  /** Per slot: its feature, zero fraction z and (1 − z) / z. */
  readonly slotFeature: Int32Array;
  readonly slotZero: Float64Array;
  readonly slotRatio: Float64Array;
  /** A(B) of every tabulated leaf. */
  readonly table: Float64Array;
  /** Most distinct features on any root-to-leaf path (slots of a leaf). */
  readonly maxSlots: number;
  /** Stride of the quadrature tables: the most points any leaf needs, ceil(maxSlots / 2). */
  readonly maxPoints: number;
  /** Quadrature on [0, 1] with n points at `[n * maxPoints .. + n)`: nodes, weights, weight / (1 - node). */
  readonly quadNodes: Float64Array;
  readonly quadWeights: Float64Array;
  readonly quadColdWeights: Float64Array;
  /** The bias column: the trees' expected values (cover-weighted leaf means) plus the base margin. */
  readonly bias: number;
}

/** How many slots a leaf may have and still get a table (2^10 values, 8 KiB). */
export const TABLE_SLOTS = 10;
/**
 * Table values one model may hold (32 MiB). A 200-tree depth-8 model would need 51,200 × 256
 * (100 MiB) if every path split on 8 different features; real ones need far less (the 13,610-leaf
 * PaySim model: 212,656 values, 1.7 MB). Leaves past the budget are evaluated from their slots,
 * as is a leaf with too many slots.
 */
export const TABLE_BUDGET = 4 * 1024 * 1024;
/** A zero fraction below this is not divided by (its leaf is evaluated from its slots). */
const MIN_TABLE_ZERO = 1e-100;
/** Pattern bits are a 32-bit integer's. */
const MAX_SLOTS = 30;

const shared = {
  i32: (n: number) => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
  f32: (n: number) => new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
  f64: (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)).subarray(0, n),
  u8: (n: number) => new Uint8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n),
};

/**
 * Flattens `trees` (XGBoost's layout, covers in `sumHessian`) into a TreeSHAP program.
 * `tableBudget` (values) bounds the pattern tables' memory; 0 evaluates every leaf from its slots.
 */
export function buildTreeShapProgram(
  trees: readonly RegressionTree[],
  nFeatures: number,
  baseScore: number,
  tableBudget = TABLE_BUDGET,
): TreeShapProgram {
  const nNodes = trees.reduce((s, t) => s + t.leftChildren.length, 0);
  const nLeaves = trees.reduce((s, t) => s + t.leftChildren.filter((c) => c === -1).length, 0);
  const feature = shared.i32(nNodes);
  const threshold = shared.f32(nNodes);
  const defaultRight = shared.u8(nNodes);
  const rightOffset = shared.i32(nNodes);
  const coldMask = shared.i32(nNodes);
  const leafOf = shared.i32(nNodes);
  const treeStart = shared.i32(trees.length + 1);
  const treeFeatureStart = shared.i32(trees.length + 1);
  const leafValue = shared.f64(nLeaves);
  const leafSlotStart = shared.i32(nLeaves + 1);
  const leafTable = shared.i32(nLeaves);
  const featureLists: number[] = [];
  // Per leaf slot, and the tables, grown as leaves are met.
  const slotFeatures: number[] = [];
  const slotZeros: number[] = [];
  let tableSize = 0;
  let maxSlots = 0;
  let maxTreeNodes = 0;
  let next = 0;
  let leaf = 0;
  // Expected values are summed in float32, tree by tree, as XGBoost accumulates its bias column.
  let expected = 0;

  trees.forEach((tree, t) => {
    const root = next;
    treeStart[t] = root;
    const used = new Set<number>();
    // The path's distinct features (index = slot) and their zero fractions, carried down.
    const pathFeatures: number[] = [];
    const pathZeros: number[] = [];
    const visit = (i: number): void => {
      const g = next++;
      if (tree.leftChildren[i] === -1) {
        feature[g] = -1;
        leafOf[g] = leaf;
        leafValue[leaf] = tree.splitConditions[i];
        let tiny = false;
        for (let k = 0; k < pathFeatures.length; k++) {
          slotFeatures.push(pathFeatures[k]);
          slotZeros.push(pathZeros[k]);
          tiny ||= pathZeros[k] < MIN_TABLE_ZERO;
        }
        leafSlotStart[leaf + 1] = slotFeatures.length;
        const d = pathFeatures.length;
        maxSlots = Math.max(maxSlots, d);
        const tabulate = d <= TABLE_SLOTS && tableSize + (1 << d) <= tableBudget && !tiny;
        leafTable[leaf] = tabulate ? tableSize : -1;
        if (tabulate) tableSize += 1 << d;
        leaf++;
        return;
      }
      const f = tree.splitIndices[i];
      used.add(f);
      feature[g] = f;
      leafOf[g] = -1;
      threshold[g] = tree.splitConditions[i];
      defaultRight[g] = tree.defaultLeft[i] ? 0 : 1;
      let k = pathFeatures.indexOf(f);
      const added = k < 0;
      if (added) {
        k = pathFeatures.length;
        if (k >= MAX_SLOTS)
          throw new RangeError(
            `TreeSHAP supports up to ${MAX_SLOTS} distinct features on a path (tree ${t})`,
          );
        pathFeatures.push(f);
        pathZeros.push(1);
      }
      coldMask[g] = ~(1 << k);
      const above = pathZeros[k];
      const cover = tree.sumHessian[i];
      const l = tree.leftChildren[i];
      const r = tree.rightChildren[i];
      pathZeros[k] = above * (tree.sumHessian[l] / cover);
      visit(l);
      rightOffset[g] = next - g;
      pathZeros[k] = above * (tree.sumHessian[r] / cover);
      visit(r);
      pathZeros[k] = above;
      if (added) {
        pathFeatures.pop();
        pathZeros.pop();
      }
    };
    visit(0);
    maxTreeNodes = Math.max(maxTreeNodes, next - root);
    treeFeatureStart[t] = featureLists.length;
    featureLists.push(...[...used].sort((a, b) => a - b));
    expected = Math.fround(expected + expectedValue(tree));
  });
  treeStart[trees.length] = next;
  treeFeatureStart[trees.length] = featureLists.length;
  const treeFeatures = shared.i32(featureLists.length);
  treeFeatures.set(featureLists);
  const slotFeature = shared.i32(slotFeatures.length);
  slotFeature.set(slotFeatures);
  const slotZero = shared.f64(slotZeros.length);
  slotZero.set(slotZeros);
  const slotRatio = shared.f64(slotZeros.length);
  slotZeros.forEach((z, s) => (slotRatio[s] = (1 - z) / z));
  const table = shared.f64(tableSize);
  const scratch = new Float64Array((1 << Math.min(maxSlots, TABLE_SLOTS)) * Math.ceil(TABLE_SLOTS / 2));
  for (let l = 0; l < nLeaves; l++)
    if (leafTable[l] >= 0) {
      const s0 = leafSlotStart[l];
      patternTable(leafValue[l], slotZero, s0, leafSlotStart[l + 1] - s0, table, leafTable[l], scratch);
    }

  const maxPoints = Math.max(1, Math.ceil(maxSlots / 2));
  const quadNodes = shared.f64((maxPoints + 1) * maxPoints);
  const quadWeights = shared.f64((maxPoints + 1) * maxPoints);
  const quadColdWeights = shared.f64((maxPoints + 1) * maxPoints);
  for (let n = 1; n <= maxPoints; n++) {
    const q = quadrature(n);
    for (let j = 0; j < n; j++) {
      quadNodes[n * maxPoints + j] = q.nodes[j];
      quadWeights[n * maxPoints + j] = q.weights[j];
      quadColdWeights[n * maxPoints + j] = q.weights[j] / (1 - q.nodes[j]);
    }
  }

  return {
    nFeatures,
    nTrees: trees.length,
    feature,
    threshold,
    defaultRight,
    rightOffset,
    coldMask,
    leafOf,
    treeStart,
    maxTreeNodes,
    treeFeatures,
    treeFeatureStart,
    leafValue,
    leafSlotStart,
    leafTable,
    slotFeature,
    slotZero,
    slotRatio,
    table,
    maxSlots,
    maxPoints,
    quadNodes,
    quadWeights,
    quadColdWeights,
    bias: Math.fround(expected + baseMargin(baseScore)),
  };
}

const quadratures: Quadrature[] = [];
const quadrature = (n: number): Quadrature => (quadratures[n] ??= gaussLegendre01(n));

/**
 * Writes A(B) for every pattern B of a leaf with value `v` and d slots whose zero fractions are
 * `zero[z0 .. z0 + d)` into `out[o .. o + 2^d)`: v · Σ_j w_j/(1−t_j) · P_B(t_j), with
 * P_B(t) = Π_{k∈B}(z_k + (1−z_k)t) · Π_{k∉B} z_k(1−t) built slot by slot in `prod` (each
 * pattern's products times the slot's "follows" factor for the pattern with its bit set, its
 * "does not" factor for the one without). Offsets rather than subarrays: a view per leaf costs
 * more than the arithmetic.
 */
function patternTable(
  v: number,
  zero: Float64Array,
  z0: number,
  d: number,
  out: Float64Array,
  o: number,
  prod: Float64Array,
): void {
  const n = Math.max(1, Math.ceil(d / 2));
  const { nodes, weights } = quadrature(n);
  for (let j = 0; j < n; j++) prod[j] = 1;
  for (let k = 0; k < d; k++) {
    const bit = 1 << k;
    const z = zero[z0 + k];
    for (let b = 0; b < bit; b++)
      for (let j = 0; j < n; j++) {
        const t = nodes[j];
        const p = prod[b * n + j];
        prod[(b | bit) * n + j] = p * (z + (1 - z) * t);
        prod[b * n + j] = p * z * (1 - t);
      }
  }
  for (let b = 0; b < 1 << d; b++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (prod[b * n + j] * weights[j]) / (1 - nodes[j]);
    out[o + b] = v * s;
  }
}

/**
 * A tree's expected value: its leaves averaged by cover, computed bottom-up in float32 exactly
 * as XGBoost's `FillNodeMeanValues` does, so the bias column agrees to the last bit.
 */
export function expectedValue(tree: RegressionTree): number {
  const f = Math.fround;
  const mean = (i: number): number => {
    const l = tree.leftChildren[i];
    if (l === -1) return tree.splitConditions[i];
    const r = tree.rightChildren[i];
    let result = f(mean(l) * tree.sumHessian[l]);
    result = f(result + f(mean(r) * tree.sumHessian[r]));
    return f(result / tree.sumHessian[i]);
  };
  return mean(0);
}
