import { BadInputError } from "../errors/index.js";
// The same seeded generator as training splits: validation vectors are reproducible per version.
import { SeededRandom } from "../random/index.js";
import type { ReferenceHistogram } from "../training/index.js";

/**
 * One feature's training distribution as `reference.json` stores it (src/training's reference
 * profile): interior `edges`, so `proportions.length === edges.length + 1`; bin 0 is
 * `[min, edges[0])`, the last bin `[edges[last], max]`.
 */
export type FeatureHistogram = ReferenceHistogram;

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
  const rng = new SeededRandom(seed);
  const rand = () => rng.float();
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
  const { proportions } = h;
  if (!Array.isArray(h.edges) || !Array.isArray(proportions) || proportions.length !== h.edges.length + 1) {
    throw new BadInputError(
      `histogram for ${name} has ${h.edges?.length} edges and ${proportions?.length} proportions (need one more bin than interior edges)`,
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
  const inner = h.edges;
  const lowest = Number.isFinite(h.min) ? Math.min(h.min, inner[0] ?? h.min) : (inner[0] ?? 0);
  const highest = Number.isFinite(h.max)
    ? Math.max(h.max, inner[inner.length - 1] ?? h.max)
    : (inner[inner.length - 1] ?? lowest);
  const bounds = [lowest, ...inner, highest];
  return (rand) => {
    const u = rand();
    let bin = cumulative.findIndex((c) => u < c);
    if (bin < 0) bin = proportions.length - 1;
    const lo = bounds[bin];
    const hi = bounds[bin + 1];
    return lo + (hi - lo) * rand();
  };
}
