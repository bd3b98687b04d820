import { gaussLegendre01 } from "./gauss-legendre.js";
import { baseMargin } from "./predictor.js";
import type { RegressionTree } from "./tree.js";

/**
 * The ensemble flattened for TreeSHAP, built once per model. Every array is in shared memory so
 * worker threads read the same program without a copy.
 *
 * Nodes of all trees are renumbered depth-first (preorder), so a split's left child is the next
 * node and only the right child needs an index. What TreeSHAP needs of a tree that does not
 * depend on the row is computed here: each child's share of its parent's cover (XGBoost's
 * `sum_hess` ratio, the "zero fraction"), and the slot of each split's feature among the distinct
 * features on the path from the root (a feature split on twice on one path shares one slot).
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
  /** Global index of a split's right child (its left child is the next node). */
  readonly rightChild: Int32Array;
  /** Slot of the split's feature on the path from the root; equal to the path's slot count when new. */
  readonly slot: Int32Array;
  /** cover(left child) / cover(node) and cover(right child) / cover(node). */
  readonly leftShare: Float64Array;
  readonly rightShare: Float64Array;
  /** Leaf value (0 for splits). */
  readonly value: Float64Array;
  /** Root node of each tree, plus one past the last node. */
  readonly treeStart: Int32Array;
  /** Quadrature points each tree needs: ceil(distinct features on its longest path / 2). */
  readonly treePoints: Int32Array;
  /** Features each tree splits on: `treeFeatures[treeFeatureStart[t] .. treeFeatureStart[t + 1])`. */
  readonly treeFeatures: Int32Array;
  readonly treeFeatureStart: Int32Array;
  /** Stride of the quadrature tables and of the per-level scratch: the most points any tree uses. */
  readonly maxPoints: number;
  /** Most distinct features on any root-to-leaf path (slots in use at a leaf). */
  readonly maxSlots: number;
  /** Deepest leaf's depth over all trees (recursion depth). */
  readonly maxDepth: number;
  /** Quadrature on [0, 1] with n points at `[n * maxPoints .. + n)`: nodes, weights, weight / (1 - node). */
  readonly quadNodes: Float64Array;
  readonly quadWeights: Float64Array;
  readonly quadColdWeights: Float64Array;
  /** The bias column: the trees' expected values (cover-weighted leaf means) plus the base margin. */
  readonly bias: number;
}

const shared = {
  i32: (n: number) => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
  f32: (n: number) => new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n),
  f64: (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)).subarray(0, n),
  u8: (n: number) => new Uint8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n),
};

/** Flattens `trees` (XGBoost's layout, covers in `sumHessian`) into a TreeSHAP program. */
export function buildTreeShapProgram(
  trees: readonly RegressionTree[],
  nFeatures: number,
  baseScore: number,
): TreeShapProgram {
  const nNodes = trees.reduce((s, t) => s + t.leftChildren.length, 0);
  const feature = shared.i32(nNodes);
  const threshold = shared.f32(nNodes);
  const defaultRight = shared.u8(nNodes);
  const rightChild = shared.i32(nNodes);
  const slot = shared.i32(nNodes);
  const leftShare = shared.f64(nNodes);
  const rightShare = shared.f64(nNodes);
  const value = shared.f64(nNodes);
  const treeStart = shared.i32(trees.length + 1);
  const treePoints = shared.i32(trees.length);
  const treeFeatureStart = shared.i32(trees.length + 1);
  const featureLists: number[] = [];
  let maxSlots = 0;
  let maxDepth = 0;
  let next = 0;
  // Expected values are summed in float32, tree by tree, as XGBoost accumulates its bias column.
  let expected = 0;

  trees.forEach((tree, t) => {
    treeStart[t] = next;
    const used = new Set<number>();
    let treeSlots = 0;
    // Preorder walk carrying the distinct features on the path (index = slot).
    const visit = (i: number, pathFeatures: number[], depth: number): void => {
      const g = next++;
      maxDepth = Math.max(maxDepth, depth);
      if (tree.leftChildren[i] === -1) {
        feature[g] = -1;
        value[g] = tree.splitConditions[i];
        treeSlots = Math.max(treeSlots, pathFeatures.length);
        return;
      }
      const f = tree.splitIndices[i];
      used.add(f);
      feature[g] = f;
      threshold[g] = tree.splitConditions[i];
      defaultRight[g] = tree.defaultLeft[i] ? 0 : 1;
      const k = pathFeatures.indexOf(f);
      slot[g] = k >= 0 ? k : pathFeatures.length;
      const l = tree.leftChildren[i];
      const r = tree.rightChildren[i];
      const cover = tree.sumHessian[i];
      leftShare[g] = tree.sumHessian[l] / cover;
      rightShare[g] = tree.sumHessian[r] / cover;
      const below = k >= 0 ? pathFeatures : [...pathFeatures, f];
      visit(l, below, depth + 1);
      rightChild[g] = next;
      visit(r, below, depth + 1);
    };
    visit(0, [], 0);
    treePoints[t] = Math.max(1, Math.ceil(treeSlots / 2));
    maxSlots = Math.max(maxSlots, treeSlots);
    treeFeatureStart[t] = featureLists.length;
    featureLists.push(...[...used].sort((a, b) => a - b));
    expected = Math.fround(expected + expectedValue(tree));
  });
  treeStart[trees.length] = next;
  treeFeatureStart[trees.length] = featureLists.length;
  const treeFeatures = shared.i32(featureLists.length);
  treeFeatures.set(featureLists);

  const maxPoints = Math.max(1, Math.ceil(maxSlots / 2));
  const quadNodes = shared.f64((maxPoints + 1) * maxPoints);
  const quadWeights = shared.f64((maxPoints + 1) * maxPoints);
  const quadColdWeights = shared.f64((maxPoints + 1) * maxPoints);
  for (let n = 1; n <= maxPoints; n++) {
    const q = gaussLegendre01(n);
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
    rightChild,
    slot,
    leftShare,
    rightShare,
    value,
    treeStart,
    treePoints,
    treeFeatures,
    treeFeatureStart,
    maxPoints,
    maxSlots,
    maxDepth,
    quadNodes,
    quadWeights,
    quadColdWeights,
    bias: Math.fround(expected + baseMargin(baseScore)),
  };
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
