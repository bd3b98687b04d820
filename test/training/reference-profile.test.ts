import { describe, expect, it } from "vitest";
import { buildReferenceProfile } from "../../src/training/index.js";

describe("buildReferenceProfile", () => {
  const n = 10_000;
  const hour = Float64Array.from({ length: n }, (_, i) => i % 24);
  const amount = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 100_000);
  const trainRows = Uint32Array.from({ length: 8_000 }, (_, i) => i);
  const scores = Float64Array.from({ length: 2_000 }, (_, i) => (i % 100) / 100);
  const ref = buildReferenceProfile({
    names: ["hour_of_day", "amount"],
    columns: [hour, amount],
    trainRows,
    testScores: scores,
    featureSetVersion: "1",
  });

  it("gives each distinct value its own bin for discrete features", () => {
    const h = ref.features.hour_of_day;
    expect(h.edges).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(h.proportions).toHaveLength(24);
    expect(h.count).toBe(8_000);
  });

  it("uses about ten quantile bins for continuous features; proportions sum to 1", () => {
    const a = ref.features.amount;
    expect(a.edges.length).toBe(9);
    expect(a.proportions).toHaveLength(10);
    for (const p of a.proportions) expect(p).toBeGreaterThan(0.08);
    expect(a.proportions.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
  });

  it("records the test-split score distribution with quantiles", () => {
    const s = ref.score_distribution;
    expect(s.edges).toHaveLength(19);
    expect(s.proportions.reduce((x, p) => x + p, 0)).toBeCloseTo(1, 9);
    expect(s.count).toBe(2_000);
    expect(s.quantiles.p50).toBeCloseTo(0.5, 9);
    expect(JSON.parse(JSON.stringify(ref))).toEqual(ref);
  });
});
