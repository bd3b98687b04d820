/**
 * Gauss–Legendre quadrature on [0, 1]: `n` nodes and weights that integrate every polynomial of
 * degree <= 2n - 1 exactly (up to float64 rounding). TreeSHAP uses it to evaluate a Shapley
 * weight sum, which is the integral of a polynomial of known degree.
 */
export interface Quadrature {
  /** Nodes in (0, 1), ascending. */
  nodes: Float64Array;
  /** Weights, summing to 1. */
  weights: Float64Array;
}

export function gaussLegendre01(n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`quadrature needs n >= 1, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  // Roots of P_n on [-1, 1] by Newton's method from Chebyshev-like first guesses; symmetric pairs.
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and its derivative by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pPrev = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pPrev)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    // Map [-1, 1] to [0, 1]: t = (1 - x) / 2 for ascending order from the largest root.
    nodes[i] = (1 - x) / 2;
    nodes[n - 1 - i] = (1 + x) / 2;
    weights[i] = w / 2;
    weights[n - 1 - i] = w / 2;
  }
  return { nodes, weights };
}
