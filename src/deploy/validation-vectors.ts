import { BadInputError } from "../errors/index.js";
import { seededRandom } from "./seeded-random.js";

/** One feature's training distribution: `edges.length === proportions.length + 1`. */
export interface FeatureHistogram {
  edges: number[];
  proportions: number[];
}

/** Number of synthetic vectors the gate scores, from the deployment procedure. */
export const SYNTHETIC_VECTOR_COUNT = 100;
/** Fixed seed: the same version always gets the same validation set. */
export const VALIDATION_SEED = 20260227;

/**
 * Draws `count` feature vectors from the per-feature training histograms: a bin by its training
 * proportion, then a point uniformly inside it. Features are drawn independently; the gate tests
 * that the model behaves on realistic inputs, not that it reproduces joint structure.
 */
export function drawValidationVectors(
  histograms: Readonly<Record<string, FeatureHistogram>>,
  featureNames: readonly string[],
  count: number = SYNTHETIC_VECTOR_COUNT,
  seed: number = VALIDATION_SEED,
): Float64Array[] {
  const rand = seededRandom(seed);
  const samplers = featureNames.map((name) => {
    const h = histograms[name];
    if (!h) throw new BadInputError(`reference has no histogram for feature ${name}`, { field: name });
    return histogramSampler(name, h);
  });
  const out: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const v = new Float64Array(featureNames.length);
    for (let f = 0; f < samplers.length; f++) v[f] = samplers[f](rand);
    out.push(v);
  }
  return out;
}

function histogramSampler(name: string, h: FeatureHistogram): (rand: () => number) => number {
  const { edges, proportions } = h;
  if (proportions.length === 0 || edges.length !== proportions.length + 1) {
    throw new BadInputError(
      `histogram for ${name} has ${edges.length} edges and ${proportions.length} proportions (need one more edge than bins)`,
      { field: name },
    );
  }
  const total = proportions.reduce((a, b) => a + (b > 0 ? b : 0), 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const p of proportions) {
    acc += total > 0 ? Math.max(0, p) / total : 1 / proportions.length;
    cumulative.push(acc);
  }
  // Open-ended outer bins (±Infinity or null in JSON) collapse to their finite edge.
  const finite = (x: number | null | undefined, fallback: number): number =>
    typeof x === "number" && Number.isFinite(x) ? x : fallback;
  return (rand) => {
    const u = rand();
    let bin = cumulative.findIndex((c) => u < c);
    if (bin < 0) bin = proportions.length - 1;
    const hi0 = edges[bin + 1];
    const lo = finite(edges[bin], finite(hi0, 0));
    const hi = finite(hi0, lo);
    return lo + (hi - lo) * rand();
  };
}
