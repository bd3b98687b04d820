/** The regularisation knobs the gain formula uses. */
export interface SplitParams {
  reg_lambda: number;
  reg_alpha: number;
  gamma: number;
  min_child_weight: number;
}

/** The best split of one node, or none. Left = bins `<= bin` (plus missing when `defaultLeft`). */
export interface SplitCandidate {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  leftG: number;
  leftH: number;
}

/** XGBoost's soft threshold for L1 regularisation. */
function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

/** Structure score of a node with gradient sum g and hessian sum h (XGBoost's CalcGain). */
export function nodeScore(g: number, h: number, p: SplitParams): number {
  const t = p.reg_alpha === 0 ? g : thresholdL1(g, p.reg_alpha);
  return (t * t) / (h + p.reg_lambda);
}

/** Optimal leaf weight −T(G, α)/(H + λ) before the learning rate is applied. */
export function leafWeight(g: number, h: number, p: SplitParams): number {
  const w = -thresholdL1(g, p.reg_alpha) / (h + p.reg_lambda);
  return w === 0 ? 0 : w;
}

/** Below this a split is treated as no improvement (XGBoost's kRtEps). */
const MIN_GAIN = 1e-6;

/**
 * Scans a node's histogram for the split with the largest gain. For each feature: forward over
 * the bins with missing values sent right, then (only if the node has missing values) backward
 * with them sent left — the learned default direction. Ties keep the first found, so the order
 * of features and bins fixes the result.
 */
export function findBestSplit(
  hist: Float64Array,
  g: number,
  h: number,
  features: readonly number[],
  offsets: Int32Array,
  nBins: Int32Array,
  p: SplitParams,
): SplitCandidate | null {
  const parent = nodeScore(g, h, p);
  const mcw = p.min_child_weight;
  let best: SplitCandidate | null = null;
  let bestGain = Math.max(MIN_GAIN, p.gamma);
  for (const f of features) {
    const o = offsets[f];
    const nb = nBins[f];
    const ms = 2 * (o + nb);
    const missingH = hist[ms + 1];
    let gl = 0;
    let hl = 0;
    for (let b = 0; b < nb - 1; b++) {
      gl += hist[2 * (o + b)];
      hl += hist[2 * (o + b) + 1];
      if (hl < mcw) continue;
      const hr = h - hl;
      if (hr < mcw) break;
      const gain = nodeScore(gl, hl, p) + nodeScore(g - gl, hr, p) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        best = { gain, feature: f, bin: b, defaultLeft: false, leftG: gl, leftH: hl };
      }
    }
    if (missingH > 0) {
      let gr = 0;
      let hr = 0;
      for (let b = nb - 1; b >= 1; b--) {
        gr += hist[2 * (o + b)];
        hr += hist[2 * (o + b) + 1];
        if (hr < mcw) continue;
        const hl2 = h - hr;
        if (hl2 < mcw) break;
        const gain = nodeScore(g - gr, hl2, p) + nodeScore(gr, hr, p) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: f, bin: b - 1, defaultLeft: true, leftG: g - gr, leftH: hl2 };
        }
      }
    }
  }
  return best;
}
