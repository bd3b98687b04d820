// The auto-promotion simulation with more runs than the test (`npm run build` first):
//   node bench/auto-promotion-sim.mjs [EXPERIMENTS=10000]
// Champion precision 0.60, 50/50 traffic, the seed's AutoPromotionConfig defaults, the decision
// checked after every label. Prints the always-valid test's and the naive z-test's promotion rates
// under A/A and the detection rate and label quantiles for a true +10 % relative improvement.
import { performance } from "node:perf_hooks";
import { autoPromotionConfigSchema, simulateAbExperiments } from "../dist/monitoring/index.js";

const experiments = Number(process.argv[2] ?? 10_000);
const config = autoPromotionConfigSchema.parse({});
const q = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))] : null);
for (const [name, b, labels, seed] of [
  ["A/A (0.60 vs 0.60)", 0.6, 10_000, 101],
  ["+10 % (0.60 vs 0.66)", 0.66, 5_000, 102],
  ["+10 % (0.60 vs 0.66)", 0.66, 10_000, 103],
]) {
  const t0 = performance.now();
  const r = simulateAbExperiments({
    experiments,
    labels,
    championPrecision: 0.6,
    challengerPrecision: b,
    challengerShare: 0.5,
    config,
    seed,
  });
  const pct = (n) => `${((100 * n) / r.experiments).toFixed(2)} %`;
  console.log(
    `${name}, ${labels} labels, ${experiments} experiments: always-valid ${pct(r.sequentialPromotions)}, naive z-test ${pct(r.naivePromotions)}; labels at promotion p50 ${q(r.labelsAtPromotion, 0.5)} p80 ${q(r.labelsAtPromotion, 0.8)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}
