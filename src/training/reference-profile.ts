/**
 * `reference.json`: what "normal" looked like when the model was trained, for drift monitoring.
 * Per feature, a histogram of the training split; for the model, the score distribution on the test
 * split. Bins are given by their interior `edges` (ascending): bin 0 is `x < edges[0]`, bin i is
 * `edges[i-1] <= x < edges[i]`, the last bin is `x >= edges[edges.length - 1]`; `proportions` has
 * `edges.length + 1` entries summing to 1. PSI of live data = Σ (cur − ref) · ln(cur / ref) over the
 * same bins; empty bins are kept as 0 here, so a PSI consumer must floor proportions at a small epsilon.
 */
export interface Histogram {
  edges: number[];
  proportions: number[];
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface ReferenceProfile {
  format: "lakay-reference/1";
  feature_set_version: string;
  /** How edges were chosen: each distinct value its own bin if few, else quantiles of the training split. */
  binning: { max_bins: number; quantile_sample: number; count_sample: number };
  features: Record<string, Histogram>;
  score_distribution: Histogram & { quantiles: Record<"p50" | "p90" | "p95" | "p99", number> };
}

const MAX_BINS = 10;
/** Edges come from an evenly strided sample: sorting 5 million values per feature is not worth it. */
const QUANTILE_SAMPLE = 100_000;
/** Proportions from at most this many evenly strided training rows: within 0.1 % of the full count. */
const COUNT_SAMPLE = 1_000_000;

/** Builds the reference profile from the training rows of each feature column and the test-split scores. */
export function buildReferenceProfile(args: {
  names: readonly string[];
  columns: ArrayLike<number>[];
  trainRows: Uint32Array;
  testScores: ArrayLike<number>;
  featureSetVersion: string;
}): ReferenceProfile {
  const features: Record<string, Histogram> = {};
  const countRows = stridedRows(args.trainRows, COUNT_SAMPLE);
  args.names.forEach((name, j) => {
    const col = args.columns[j];
    const sample = stridedSample(col, args.trainRows, QUANTILE_SAMPLE);
    features[name] = histogram(col, countRows, binEdges(sample));
  });
  const all = Uint32Array.from({ length: args.testScores.length }, (_, i) => i);
  const scoreEdges = Array.from({ length: 19 }, (_, i) => round((i + 1) * 0.05));
  const sorted = Float64Array.from(args.testScores).sort();
  const q = (p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
  return {
    format: "lakay-reference/1",
    feature_set_version: args.featureSetVersion,
    binning: { max_bins: MAX_BINS, quantile_sample: QUANTILE_SAMPLE, count_sample: COUNT_SAMPLE },
    features,
    score_distribution: {
      ...histogram(args.testScores, all, scoreEdges),
      quantiles: { p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) },
    },
  };
}

function stridedSample(col: ArrayLike<number>, rows: Uint32Array, max: number): Float64Array {
  const n = Math.min(max, rows.length);
  const out = new Float64Array(n);
  const step = rows.length / n;
  for (let k = 0; k < n; k++) out[k] = col[rows[Math.floor(k * step)]];
  return out.sort();
}

function stridedRows(rows: Uint32Array, max: number): Uint32Array {
  if (rows.length <= max) return rows;
  const step = rows.length / max;
  return Uint32Array.from({ length: max }, (_, k) => rows[Math.floor(k * step)]);
}

/** Few distinct values (hour, type, counts): one bin per value. Otherwise deciles, deduplicated. */
function binEdges(sortedSample: Float64Array): number[] {
  const distinct: number[] = [];
  for (let i = 0; i < sortedSample.length && distinct.length <= 2 * MAX_BINS + 4; i++) {
    if (i === 0 || sortedSample[i] !== sortedSample[i - 1]) distinct.push(sortedSample[i]);
  }
  if (distinct.length <= 2 * MAX_BINS + 4) return distinct.slice(1);
  const edges: number[] = [];
  for (let b = 1; b < MAX_BINS; b++) {
    const v = sortedSample[Math.floor((b * sortedSample.length) / MAX_BINS)];
    if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
  }
  if (edges.length && edges[0] === sortedSample[0]) edges.shift();
  return edges;
}

function histogram(col: ArrayLike<number>, rows: Uint32Array, edges: number[]): Histogram {
  const counts = new Float64Array(edges.length + 1);
  const e = Float64Array.from(edges);
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < rows.length; k++) {
    const x = col[rows[k]];
    sum += x;
    sq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
    // Binary search for the first edge > x: that index is the bin.
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  const n = rows.length;
  const mean = n ? sum / n : 0;
  return {
    edges,
    proportions: Array.from(counts, (c) => (n ? round(c / n) : 0)),
    count: n,
    mean: round(mean),
    std: round(n > 1 ? Math.sqrt(Math.max(0, (sq - n * mean * mean) / (n - 1))) : 0),
    min: n ? min : 0,
    max: n ? max : 0,
  };
}

function round(x: number): number {
  return Number(x.toPrecision(10));
}
