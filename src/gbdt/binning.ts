/** Rows looked at to place quantile cuts; exact below this size, a fixed-stride sample above. */
export const CUT_SAMPLE_ROWS = 262_144;

/** Bin edges of one feature: `cuts[b]` is the exclusive upper bound of bin b; the last is +Infinity. */
export interface FeatureCuts {
  cuts: Float32Array;
}

/**
 * Quantile cuts for one feature, from float32 values (the precision the model compares in).
 * With at most `maxBins` distinct values every value gets its own bin, and the split thresholds
 * are the data's own values, as XGBoost does; otherwise cuts sit at evenly spaced ranks of a
 * deterministic sample, so heavy ties (zeros) keep a bin of their own.
 */
export function computeCuts(col: Float32Array, maxBins: number): FeatureCuts {
  const n = col.length;
  const take = Math.min(n, CUT_SAMPLE_ROWS);
  const sample = new Float32Array(take);
  let m = 0;
  for (let k = 0; k < take; k++) {
    const x = col[take === n ? k : Math.floor((k * n) / take)];
    // Infinities are values (they fall in the first or last bin) but never a threshold.
    if (Number.isFinite(x)) sample[m++] = x;
  }
  // Few distinct values (flags, hours, counts): collect them without sorting the whole sample.
  // A sort keeps -0 before 0 and `!==` counts them as one value: the same here.
  const few = new Set<number>();
  let negativeZero = false;
  for (let k = 0; k < m && few.size <= maxBins; k++) {
    few.add(sample[k]);
    if (sample[k] === 0 && 1 / sample[k] < 0) negativeZero = true;
  }
  const cuts: number[] = [];
  if (few.size <= maxBins) {
    const distinct = Float32Array.from(few).sort();
    if (negativeZero) distinct[distinct.indexOf(0)] = -0;
    for (let i = 1; i < distinct.length; i++) cuts.push(distinct[i]);
  } else {
    const sorted = sample.subarray(0, m).sort();
    for (let b = 1; b < maxBins; b++) {
      const v = sorted[Math.floor((b * m) / maxBins)];
      if (v > sorted[0] && (cuts.length === 0 || v > cuts[cuts.length - 1])) cuts.push(v);
    }
  }
  cuts.push(Infinity);
  return { cuts: Float32Array.from(cuts) };
}
