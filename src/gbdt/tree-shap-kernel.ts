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
 * P_j is carried down the tree one factor per node (a feature split on again has its old factor
 * divided out), and each "on" feature's weights w_j (1 − z_f) / factor are computed once at the
 * node that sets them, so a leaf costs O(d · points) multiply-adds instead of the O(d²)
 * unwinding (with divisions) of the original algorithm.
 *
 * Self-contained (it reads only its argument), because worker threads run it from its source;
 * use `compileTreeShapKernel`, which does the same on this thread. All buffers are allocated here
 * once; a call allocates nothing.
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
  // Per slot on the current path: its feature, zero fraction, one fraction, its factor
  // z(1 - t_j) + o·t_j at each point, and (when o = 1) the hot weights w_j (1 - z) / factor.
  const slotFeature = new Int32Array(slots);
  const slotZero = new Float64Array(slots);
  const slotOne = new Uint8Array(slots);
  const slotFactor = new Float64Array(slots * Q);
  const slotHot = new Float64Array(slots * Q);
  // P_j per recursion level (stride Q); level 0 is all ones.
  const prod = new Float64Array((p.maxDepth + 2) * Q);
  // What a split overwrites in its slot, saved per recursion level to put back on the way up.
  const savedFactor = new Float64Array((p.maxDepth + 2) * Q);
  const savedHot = new Float64Array((p.maxDepth + 2) * Q);
  const phi = new Float64Array(nf);
  const row = new Float32Array(nf);
  // The current tree's quadrature (set per tree).
  let n = 1;
  let qo = Q;
  let x: Float32Array = row;
  // Models whose paths hold 7 or 8 distinct features (depth-8 trees) take 4 points in every tree,
  // on unrolled code: the common case, and the one the latency budget is for.
  const four = Q === 4;
  const [T0, T1, T2, T3] = four ? quadNodes.subarray(16, 20) : [0, 0, 0, 0];
  const [W0, W1, W2, W3] = four ? quadWeights.subarray(16, 20) : [0, 0, 0, 0];
  const [C0, C1, C2, C3] = four ? quadColdWeights.subarray(16, 20) : [0, 0, 0, 0];

  function leaf(v: number, d: number, po: number): void {
    if (four) {
      const p0 = prod[po];
      const p1 = prod[po + 1];
      const p2 = prod[po + 2];
      const p3 = prod[po + 3];
      const cold4 = -v * (p0 * C0 + p1 * C1 + p2 * C2 + p3 * C3);
      for (let k = 0; k < d; k++) {
        if (slotOne[k] === 0) {
          phi[slotFeature[k]] += cold4;
          continue;
        }
        const b = k * 4;
        phi[slotFeature[k]] +=
          v * (p0 * slotHot[b] + p1 * slotHot[b + 1] + p2 * slotHot[b + 2] + p3 * slotHot[b + 3]);
      }
      return;
    }
    let cold = 0;
    for (let j = 0; j < n; j++) cold += prod[po + j] * quadColdWeights[qo + j];
    cold *= -v;
    for (let k = 0; k < d; k++) {
      if (slotOne[k] === 0) {
        phi[slotFeature[k]] += cold;
        continue;
      }
      const b = k * Q;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += prod[po + j] * slotHot[b + j];
      phi[slotFeature[k]] += v * acc;
    }
  }

  /**
   * Sets slot k to (z, one) and writes the next level's products: this level's with the slot's
   * old factor divided out (when the feature is already on the path) and the new one in.
   * Returns false when the new factor is zero everywhere (no cover down this branch and the row
   * does not take it): nothing below can contribute, so the branch is skipped; hence an old
   * factor is never zero.
   */
  function setSlot(k: number, z: number, one: number, po: number, repeated: boolean): boolean {
    if (z === 0 && one === 0) return false;
    slotZero[k] = z;
    slotOne[k] = one;
    const b = k * Q;
    const next = po + Q;
    if (four) {
      let q0 = prod[po];
      let q1 = prod[po + 1];
      let q2 = prod[po + 2];
      let q3 = prod[po + 3];
      if (repeated) {
        q0 /= savedFactor[po];
        q1 /= savedFactor[po + 1];
        q2 /= savedFactor[po + 2];
        q3 /= savedFactor[po + 3];
      }
      const f0 = z * (1 - T0) + one * T0;
      const f1 = z * (1 - T1) + one * T1;
      const f2 = z * (1 - T2) + one * T2;
      const f3 = z * (1 - T3) + one * T3;
      prod[next] = q0 * f0;
      prod[next + 1] = q1 * f1;
      prod[next + 2] = q2 * f2;
      prod[next + 3] = q3 * f3;
      slotFactor[b] = f0;
      slotFactor[b + 1] = f1;
      slotFactor[b + 2] = f2;
      slotFactor[b + 3] = f3;
      const u = one === 0 ? 0 : 1 - z;
      slotHot[b] = one === 0 ? 0 : (u * W0) / f0;
      slotHot[b + 1] = one === 0 ? 0 : (u * W1) / f1;
      slotHot[b + 2] = one === 0 ? 0 : (u * W2) / f2;
      slotHot[b + 3] = one === 0 ? 0 : (u * W3) / f3;
      return true;
    }
    for (let j = 0; j < n; j++) {
      const t = quadNodes[qo + j];
      const factor = z * (1 - t) + one * t;
      const base = repeated ? prod[po + j] / savedFactor[po + j] : prod[po + j];
      prod[next + j] = base * factor;
      slotFactor[b + j] = factor;
      slotHot[b + j] = one === 0 ? 0 : ((1 - z) * quadWeights[qo + j]) / factor;
    }
    return true;
  }

  function visit(node: number, d: number, po: number): void {
    const f = feature[node];
    if (f < 0) {
      leaf(value[node], d, po);
      return;
    }
    const k = slot[node];
    const repeated = k !== d;
    const val = x[f];
    const goRight = val !== val ? defaultRight[node] === 1 : !(val < threshold[node]);
    const hot = goRight ? rightChild[node] : node + 1;
    const cold = goRight ? node + 1 : rightChild[node];
    const hotShare = goRight ? rightShare[node] : leftShare[node];
    const coldShare = goRight ? leftShare[node] : rightShare[node];
    const prevZero = repeated ? slotZero[k] : 1;
    const prevOne = repeated ? slotOne[k] : 1;
    const b = k * Q;
    if (repeated)
      for (let j = 0; j < n; j++) {
        savedFactor[po + j] = slotFactor[b + j];
        savedHot[po + j] = slotHot[b + j];
      }
    const dd = repeated ? d : d + 1;
    slotFeature[k] = f;

    // The branch this row takes: the feature stays "on" (if it was).
    if (setSlot(k, hotShare * prevZero, prevOne, po, repeated)) visit(hot, dd, po + Q);
    // The other branch: the feature is "off" there.
    if (setSlot(k, coldShare * prevZero, 0, po, repeated)) visit(cold, dd, po + Q);

    if (repeated) {
      slotZero[k] = prevZero;
      slotOne[k] = prevOne;
      for (let j = 0; j < n; j++) {
        slotFactor[b + j] = savedFactor[po + j];
        slotHot[b + j] = savedHot[po + j];
      }
    }
  }

  function explainRow(values: Float32Array, out: Float64Array, o: number): void {
    x = values;
    for (let f = 0; f < nf; f++) out[o + f] = 0;
    for (let j = 0; j < Q; j++) prod[j] = 1;
    for (let t = 0; t < nTrees; t++) {
      n = four ? 4 : treePoints[t];
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

let kernelSerial = 0;

/**
 * A kernel from a fresh copy of `makeTreeShapKernel`'s source. V8 specialises a closure's code to
 * its captured arrays while only one closure of that function exists; a second explainer (a
 * challenger beside the champion, a pool's main thread) would otherwise turn every instance
 * generic, measured about 1.5x slower. A fresh function per program keeps each one specialised.
 */
export function compileTreeShapKernel(p: TreeShapProgram): TreeShapKernel {
  // The serial number keeps V8's compilation cache from handing back the same function.
  const source = `return ${makeTreeShapKernel.toString()} // kernel ${++kernelSerial}`;
  const factory = new Function(source)() as typeof makeTreeShapKernel;
  return factory(p);
}
