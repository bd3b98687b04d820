/**
 * One regression tree as flat parallel arrays, the layout XGBoost's JSON uses. A node is a leaf
 * when `leftChildren[i] === -1`; its value (already scaled by the learning rate) is then
 * `splitConditions[i]`, as in XGBoost's files. Values are float32 because XGBoost's are.
 */
export interface RegressionTree {
  leftChildren: Int32Array;
  rightChildren: Int32Array;
  parents: Int32Array;
  splitIndices: Int32Array;
  /** Threshold for internal nodes (`x < t` goes left), leaf value for leaves. */
  splitConditions: Float32Array;
  defaultLeft: Uint8Array;
  baseWeights: Float32Array;
  lossChanges: Float32Array;
  sumHessian: Float32Array;
}

/** XGBoost's marker for "no parent" on the root. */
export const ROOT_PARENT = 2147483647;

/** Growable node storage used while a tree is built; `finish()` trims it to a `RegressionTree`. */
export class TreeBuilder {
  private n = 0;
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly parent: number[] = [];
  private readonly feature: number[] = [];
  private readonly condition: number[] = [];
  private readonly defLeft: number[] = [];
  private readonly weight: number[] = [];
  private readonly loss: number[] = [];
  private readonly hess: number[] = [];

  /** Adds a node (a leaf until `split` is called on it) and returns its id. */
  addNode(parent: number, weight: number, sumHess: number): number {
    const id = this.n++;
    this.left.push(-1);
    this.right.push(-1);
    this.parent.push(parent < 0 ? ROOT_PARENT : parent);
    this.feature.push(0);
    this.condition.push(weight);
    this.defLeft.push(0);
    this.weight.push(weight);
    this.loss.push(0);
    this.hess.push(sumHess);
    return id;
  }

  /** Turns leaf `id` into a split; children must be added next with `addNode(id, ...)`. */
  setSplit(
    id: number,
    feature: number,
    threshold: number,
    defaultLeft: boolean,
    lossChange: number,
    left: number,
    right: number,
  ): void {
    this.feature[id] = feature;
    this.condition[id] = threshold;
    this.defLeft[id] = defaultLeft ? 1 : 0;
    this.loss[id] = lossChange;
    this.left[id] = left;
    this.right[id] = right;
  }

  get size(): number {
    return this.n;
  }

  finish(): RegressionTree {
    return {
      leftChildren: Int32Array.from(this.left),
      rightChildren: Int32Array.from(this.right),
      parents: Int32Array.from(this.parent),
      splitIndices: Int32Array.from(this.feature),
      splitConditions: Float32Array.from(this.condition),
      defaultLeft: Uint8Array.from(this.defLeft),
      baseWeights: Float32Array.from(this.weight),
      lossChanges: Float32Array.from(this.loss),
      sumHessian: Float32Array.from(this.hess),
    };
  }
}

/** Leaf value for one row by walking the tree; the reference every fast path is checked against. */
export function treeLeafValue(tree: RegressionTree, row: ArrayLike<number>): number {
  let node = 0;
  const left = tree.leftChildren;
  while (left[node] !== -1) {
    const x = row[tree.splitIndices[node]];
    if (x !== x) node = tree.defaultLeft[node] ? left[node] : tree.rightChildren[node];
    else node = Math.fround(x) < tree.splitConditions[node] ? left[node] : tree.rightChildren[node];
  }
  return tree.splitConditions[node];
}

/** Depth of the deepest leaf (root alone = 0). */
export function treeDepth(tree: RegressionTree): number {
  let max = 0;
  const depth = new Int32Array(tree.leftChildren.length);
  for (let i = 0; i < tree.leftChildren.length; i++) {
    if (tree.leftChildren[i] !== -1) {
      depth[tree.leftChildren[i]] = depth[i] + 1;
      depth[tree.rightChildren[i]] = depth[i] + 1;
      max = Math.max(max, depth[i] + 1);
    }
  }
  return max;
}
