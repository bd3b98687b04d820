import { describe, expect, it } from "vitest";
import { runValidationChecks } from "../../src/deploy/validation-checks.js";
import { drawValidationVectors } from "../../src/deploy/validation-vectors.js";
import { percentile } from "../../src/deploy/percentile.js";

const vectors = Array.from({ length: 20 }, (_, i) => Float64Array.of(i, i / 20));
const sigmoid = { predictRow: (v: Float64Array) => 1 / (1 + Math.exp(-v[1])) };

describe("runValidationChecks", () => {
  it("passes a well-behaved model and reports the details", () => {
    const r = runValidationChecks({
      load: { ok: true, predictor: sigmoid, detail: "ok" },
      synthetic: vectors,
      callerVectors: vectors.slice(0, 3),
    });
    expect(r.passed).toBe(true);
    expect(r.checks).toEqual({
      model_loads: true,
      scores_valid: true,
      scores_in_range: true,
      latency_within_sla: true,
    });
    expect(r.details.n_tested).toBe(23);
    expect(r.details.n_synthetic).toBe(20);
    expect(r.details.n_caller).toBe(3);
    expect(r.details.valid_score_share).toBe(1);
    expect(r.details.mean_score).toBeGreaterThan(0.5);
    expect(r.details.latency_p50_ms).toBeLessThanOrEqual(r.details.latency_p95_ms!);
    expect(r.details.latency_p95_ms).toBeLessThanOrEqual(r.details.latency_p99_ms!);
  });

  it("fails scores_valid on NaN, Infinity or a throwing predictor, and keeps going", () => {
    const bad = {
      predictRow: (v: Float64Array) =>
        v[0] === 3
          ? Number.NaN
          : v[0] === 4
            ? Infinity
            : v[0] === 5
              ? (() => {
                  throw new Error("boom");
                })()
              : 0.5,
    };
    const r = runValidationChecks({ load: { ok: true, predictor: bad, detail: "ok" }, synthetic: vectors });
    expect(r.checks.scores_valid).toBe(false);
    expect(r.checks.scores_in_range).toBe(true);
    expect(r.details.n_valid).toBe(17);
    expect(r.details.prediction_errors).toBe(1);
    expect(r.steps[1].detail).toContain("first error: boom");
    expect(r.passed).toBe(false);
  });

  it("fails scores_in_range on a score outside [0, 1]", () => {
    const raw = { predictRow: (v: Float64Array) => v[0] - 5 };
    const r = runValidationChecks({ load: { ok: true, predictor: raw, detail: "ok" }, synthetic: vectors });
    expect(r.checks).toMatchObject({ scores_valid: true, scores_in_range: false });
  });

  it("fails the latency check against an impossible SLA", () => {
    const r = runValidationChecks({
      load: { ok: true, predictor: sigmoid, detail: "ok" },
      synthetic: vectors,
      latencySlaMs: -1,
    });
    expect(r.checks.latency_within_sla).toBe(false);
    expect(r.steps[3].detail).toContain("SLA of -1 ms");
  });

  it("reports all four steps when the model does not load", () => {
    const r = runValidationChecks({
      load: { ok: false, error: "checksum mismatch for model.json" },
      synthetic: vectors,
    });
    expect(r.steps.map((s) => [s.name, s.passed])).toEqual([
      ["model_loads", false],
      ["scores_valid", false],
      ["scores_in_range", false],
      ["latency_within_sla", false],
    ]);
    expect(r.steps[0].detail).toBe("checksum mismatch for model.json");
  });
});

describe("drawValidationVectors", () => {
  // The reference profile's shape: interior edges, one more proportion than edges.
  const hist = {
    a: { edges: [1], proportions: [0.9, 0.1], min: 0, max: 2 },
    b: { edges: [], proportions: [1], min: -5, max: 5 },
  };

  it("is seeded, respects the bins and their proportions", () => {
    const v1 = drawValidationVectors(hist, ["a", "b"], 2000, 7);
    const v2 = drawValidationVectors(hist, ["a", "b"], 2000, 7);
    expect(v1).toEqual(v2);
    expect(drawValidationVectors(hist, ["a", "b"], 10, 8)).not.toEqual(v1.slice(0, 10));
    expect(v1.every((v) => v[0] >= 0 && v[0] <= 2 && v[1] >= -5 && v[1] <= 5)).toBe(true);
    const low = v1.filter((v) => v[0] < 1).length / v1.length;
    expect(low).toBeGreaterThan(0.85);
    expect(low).toBeLessThan(0.95);
  });

  it("stays finite with a constant feature, and names a missing or malformed one", () => {
    const constant = { x: { edges: [], proportions: [1], min: 3, max: 3 } };
    expect(drawValidationVectors(constant, ["x"], 5, 1).every((r) => r[0] === 3)).toBe(true);
    expect(() => drawValidationVectors(constant, ["x", "y"], 1, 1)).toThrow(/feature y/);
    const bad = { x: { edges: [1, 2], proportions: [1], min: 0, max: 3 } };
    expect(() => drawValidationVectors(bad, ["x"], 1, 1)).toThrow(/histogram for x/);
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });
});
