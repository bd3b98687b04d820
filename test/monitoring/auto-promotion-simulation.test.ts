import { describe, expect, it } from "vitest";
import { autoPromotionConfigSchema, simulateAbExperiments } from "../../src/monitoring/index.js";

/**
 * Issue #15's proof that auto-promotion may be checked after every label: 1,000 simulated
 * experiments with a fixed seed, champion precision 0.60, traffic 50/50, the seed's defaults
 * (min 1,000 labeled per variant, +5 % relative, 95 %), decision re-checked after every label.
 * More runs: bench/auto-promotion-sim.mjs.
 */
const config = autoPromotionConfigSchema.parse({});
const LABELS = 10_000;

describe("always-valid auto-promotion under continuous monitoring", () => {
  it("A/A: promotes a no-better challenger in at most 5 % of experiments; the naive z-test far more often", () => {
    const r = simulateAbExperiments({
      experiments: 1000,
      labels: LABELS,
      championPrecision: 0.6,
      challengerPrecision: 0.6,
      challengerShare: 0.5,
      config,
      seed: 15,
    });
    expect(r.sequentialPromotions / r.experiments).toBeLessThanOrEqual(0.05);
    expect(r.naivePromotions / r.experiments).toBeGreaterThan(0.1);
    expect(r.naivePromotions).toBeGreaterThan(3 * r.sequentialPromotions);
  });

  it("a true +10 % relative precision (0.60 → 0.66) is found in ≥ 80 % of experiments within 5,000 labels", () => {
    const r = simulateAbExperiments({
      experiments: 1000,
      labels: 5000,
      championPrecision: 0.6,
      challengerPrecision: 0.66,
      challengerShare: 0.5,
      config,
      seed: 16,
    });
    expect(r.sequentialPromotions / r.experiments).toBeGreaterThanOrEqual(0.8);
  });
});
