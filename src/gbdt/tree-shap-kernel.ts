import type { TreeShapProgram } from "./tree-shap-program.js";

/** What `makeTreeShapKernel` returns: the per-row hot loops, bound to one program and its scratch. */
export interface TreeShapKernel {
  /**
   * Contributions of one row (values in model feature order, float32, NaN = missing) written to
   * `out[o .. o + nFeatures]`, then the bias at `out[o + nFeatures]`: XGBoost's row layout.
   */
  explainRow(x: Float32Array, out: Float64Array, o: number): void;
  /** Rows [r0, r1) of column-wise input into `out`, row r at `(r - outRow0) * (nFeatures + 1)`. */
  explainRows(
    columns: readonly ArrayLike<number>[],
    r0: number,
    r1: number,
    out: Float64Array,
    outRow0: number,
  ): void;
}

/**
 * Exact path-dependent TreeSHAP (Lundberg et al.'s algorithm, as XGBoost's `pred_contribs`
 * computes it), evaluated in a form that needs no per-leaf path unwinding.
 *
 * For a leaf with value v whose path holds distinct features g (slots), each with a zero
 * fraction z_g (the share of training cover that follows the path's splits on g) and a one
 * fraction o_g (1 when this row follows all of them, else 0), the Shapley value of feature f is
 *
 *     v · (o_f − z_f) · Σ_k k!(d−1−k)!/d! · e_k(f)  =  v · (o_f − z_f) · ∫₀¹ Π_{g≠f} (z_g(1−t) + o_g·t) dt
 *
 * (e_k is the k-th coefficient of Π_{g≠f}(z_g + o_g·x); the Beta integral turns the Shapley
 * weights into one integral of a degree d−1 polynomial). Gauss–Legendre with ceil(d/2) points
 * integrates it exactly, so with P_j = Π_g (z_g(1−t_j) + o_g·t_j) at each point:
 *   - a feature the row does not follow (o_f = 0) gets −v · Σ_j w_j P_j / (1 − t_j), the same
 *     for every such feature of the leaf;
 *   - a feature it follows gets v · (1 − z_f) · Σ_j w_j P_j / (z_f(1−t_j) + t_j).
 * P_j is carried down the tree one factor per new feature, so a leaf costs O(d · points) instead
 * of the O(d²) unwinding of the original algorithm.
 *
 * Self-contained (it reads only its argument), because worker threads run it from its source.
 * All buffers are allocated here once; a call allocates nothing.
 */
export function makeTreeShapKernel(p: TreeShapProgram): TreeShapKernel {
  const {
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
    quadNodes,
    quadWeights,
    quadColdWeights,
  } = p;
  const nf = p.nFeatures;
  const Q = p.maxPoints;
  const nTrees = p.nTrees;
  const bias = p.bias;
  const slots = p.maxSlots + 1;
  // Per slot on the current path: its feature, zero fraction and one fraction.
  const slotFeature = new Int32Array(slots);
  const slotZero = new Float64Array(slots);
  const slotOne = new Uint8Array(slots);
  // P_j per recursion level (stride Q); level 0 is all ones.
  const prod = new Float64Array((p.maxDepth + 2) * Q);
  const phi = new Float64Array(nf);
  const row = new Float32Array(nf);
  // The current tree's quadrature (set per tree).
  let n = 1;
  let qo = Q;
  let x: Float32Array = row;

  function leaf(v: number, d: number, po: number): void {
    let cold = 0;
    for (let j = 0; j < n; j++) cold += prod[po + j] * quadColdWeights[qo + j];
    cold *= -v;
    for (let k = 0; k < d; k++) {
      const f = slotFeature[k];
      if (slotOne[k] === 0) {
        phi[f] += cold;
        continue;
      }
      const z = slotZero[k];
      if (z === 1) continue;
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const t = quadNodes[qo + j];
        acc += (prod[po + j] * quadWeights[qo + j]) / (z * (1 - t) + t);
      }
      phi[f] += v * (1 - z) * acc;
    }
  }

  /** Products for the level below: slot k (new when k === d, the slots so far) now holds (z, one). */
  function extend(k: number, d: number, z: number, one: number, po: number): void {
    const next = po + Q;
    if (k === d) {
      // A new feature: one more factor.
      for (let j = 0; j < n; j++) {
        const t = quadNodes[qo + j];
        prod[next + j] = prod[po + j] * (z * (1 - t) + one * t);
      }
      return;
    }
    // A feature already on the path: its factor changes, so rebuild the product from the slots.
    for (let j = 0; j < n; j++) {
      const t = quadNodes[qo + j];
      let acc = 1;
      for (let s = 0; s < d; s++) acc *= slotZero[s] * (1 - t) + slotOne[s] * t;
      prod[next + j] = acc;
    }
  }

  function visit(node: number, d: number, po: number): void {
    const f = feature[node];
    if (f < 0) {
      leaf(value[node], d, po);
      return;
    }
    const k = slot[node];
    const isNew = k === d;
    const val = x[f];
    const goRight = val !== val ? defaultRight[node] === 1 : !(val < threshold[node]);
    const hot = goRight ? rightChild[node] : node + 1;
    const cold = goRight ? node + 1 : rightChild[node];
    const hotShare = goRight ? rightShare[node] : leftShare[node];
    const coldShare = goRight ? leftShare[node] : rightShare[node];
    const prevZero = isNew ? 1 : slotZero[k];
    const prevOne = isNew ? 1 : slotOne[k];
    const dd = isNew ? d + 1 : d;
    slotFeature[k] = f;

    // The branch this row takes: the feature stays "on" (if it was).
    slotZero[k] = hotShare * prevZero;
    slotOne[k] = prevOne;
    extend(k, d, slotZero[k], prevOne, po);
    visit(hot, dd, po + Q);

    // The other branch: the feature is "off" there. No cover down it means no weight below.
    if (coldShare !== 0) {
      slotZero[k] = coldShare * prevZero;
      slotOne[k] = 0;
      extend(k, d, slotZero[k], 0, po);
      visit(cold, dd, po + Q);
    }
    slotZero[k] = prevZero;
    slotOne[k] = prevOne;
  }

  function explainRow(values: Float32Array, out: Float64Array, o: number): void {
    x = values;
    for (let f = 0; f < nf; f++) out[o + f] = 0;
    for (let j = 0; j < Q; j++) prod[j] = 1;
    for (let t = 0; t < nTrees; t++) {
      n = treePoints[t];
      qo = n * Q;
      visit(treeStart[t], 0, 0);
      // XGBoost adds each tree's float32 contributions into a float32 row: so do we.
      for (let i = treeFeatureStart[t]; i < treeFeatureStart[t + 1]; i++) {
        const f = treeFeatures[i];
        out[o + f] = Math.fround(out[o + f] + Math.fround(phi[f]));
        phi[f] = 0;
      }
    }
    out[o + nf] = bias;
  }

  function explainRows(
    columns: readonly ArrayLike<number>[],
    r0: number,
    r1: number,
    out: Float64Array,
    outRow0: number,
  ): void {
    for (let r = r0; r < r1; r++) {
      for (let f = 0; f < nf; f++) row[f] = columns[f][r];
      explainRow(row, out, (r - outRow0) * (nf + 1));
    }
  }

  return { explainRow, explainRows };
}
