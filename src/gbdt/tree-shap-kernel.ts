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
 * computes it) over a program whose row-independent part is precomputed (`tree-shap-program.ts`).
 *
 * Per tree, one pass over the nodes in preorder (no recursion) gives each node its **pattern**:
 * the bits of the path slots whose splits the row has followed so far (a root has every bit set;
 * each split passes its pattern to the child the row takes, and clears its slot's bit for the
 * other). At a leaf with pattern B, every slot the row does not follow gets −A(B) and every slot
 * f it follows (1 − z_f)/z_f · A(B \ f): d look-ups into the leaf's table. A leaf without a table takes the same values from the
 * integral A(B) = v · ∫₀¹ Π_k φ_k(t) dt/(1−t), φ_k = z_k + (1−z_k)t when followed and z_k(1−t)
 * when not, by Gauss–Legendre quadrature (ceil(d/2) points, exact); the followed slot f's share
 * is then v · (1 − z_f) · Σ_j w_j P_j / φ_f(t_j).
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
    rightOffset,
    coldMask,
    leafOf,
    treeStart,
    treeFeatures,
    treeFeatureStart,
    leafValue,
    leafSlotStart,
    leafTable,
    slotFeature,
    slotZero,
    slotRatio,
    table,
    quadNodes,
    quadWeights,
    quadColdWeights,
  } = p;
  const nf = p.nFeatures;
  const nTrees = p.nTrees;
  const bias = p.bias;
  const Q = p.maxPoints;
  // Each node's pattern, by offset from its tree's root.
  const pattern = new Int32Array(Math.max(1, p.maxTreeNodes));
  // The quadrature products P_j of a leaf without a table.
  const prod = new Float64Array(Q);
  const phi = new Float64Array(nf);
  const row = new Float32Array(nf);

  /** Adds a leaf's shares to `phi` from its table. */
  function tabulated(l: number, b: number): void {
    const s0 = leafSlotStart[l];
    const d = leafSlotStart[l + 1] - s0;
    const base = leafTable[l];
    const bits = b & ((1 << d) - 1);
    const cold = table[base + bits];
    // Branch-free (whether the row follows a slot is a coin toss to the branch predictor): a
    // slot not followed reads an unused value and multiplies it by 0.
    for (let k = 0; k < d; k++) {
      const on = (bits >> k) & 1;
      const followed = slotRatio[s0 + k] * table[base + (bits ^ (1 << k))];
      phi[slotFeature[s0 + k]] += on * followed - (1 - on) * cold;
    }
  }

  /** Adds a leaf's shares to `phi` from the integral (a leaf with no table: rare). */
  function integrated(l: number, b: number): void {
    const s0 = leafSlotStart[l];
    const d = leafSlotStart[l + 1] - s0;
    const v = leafValue[l];
    const n = Math.max(1, Math.ceil(d / 2));
    const qo = n * Q;
    for (let j = 0; j < n; j++) {
      const t = quadNodes[qo + j];
      let pj = 1;
      for (let k = 0; k < d; k++) {
        const z = slotZero[s0 + k];
        pj *= (b >> k) & 1 ? z + (1 - z) * t : z * (1 - t);
      }
      prod[j] = pj;
    }
    let cold = 0;
    for (let j = 0; j < n; j++) cold += prod[j] * quadColdWeights[qo + j];
    cold *= v;
    for (let k = 0; k < d; k++) {
      if (((b >> k) & 1) === 0) {
        phi[slotFeature[s0 + k]] -= cold;
        continue;
      }
      const z = slotZero[s0 + k];
      let acc = 0;
      for (let j = 0; j < n; j++) acc += (prod[j] * quadWeights[qo + j]) / (z + (1 - z) * quadNodes[qo + j]);
      phi[slotFeature[s0 + k]] += v * (1 - z) * acc;
    }
  }

  function explainRow(x: Float32Array, out: Float64Array, o: number): void {
    for (let f = 0; f < nf; f++) out[o + f] = 0;
    for (let t = 0; t < nTrees; t++) {
      const root = treeStart[t];
      const end = treeStart[t + 1];
      pattern[0] = -1;
      for (let g = root; g < end; g++) {
        const i = g - root;
        const b = pattern[i];
        const f = feature[g];
        if (f < 0) {
          const l = leafOf[g];
          if (leafTable[l] >= 0) tabulated(l, b);
          else integrated(l, b);
          continue;
        }
        // The child the row takes keeps the pattern; the other loses this split's slot.
        const val = x[f];
        // Branch-free too: `right` is all ones when the row goes right, else 0.
        const right = -(val !== val ? defaultRight[g] : +!(val < threshold[g]));
        const cold = b & coldMask[g];
        pattern[i + 1] = (cold & right) | (b & ~right);
        pattern[i + rightOffset[g]] = (b & right) | (cold & ~right);
      }
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
