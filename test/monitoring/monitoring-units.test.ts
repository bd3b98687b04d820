import { describe, expect, it } from "vitest";
import {
  abReport,
  addPrediction,
  binOf,
  DriftWindow,
  driftStatusOf,
  emptyAggregate,
  psiOf,
  psiTable,
  scoreShiftOf,
  wilson,
  differenceOf,
  zFor,
} from "../../src/monitoring/index.js";

const ref = { edges: [1, 2, 3], proportions: [0.25, 0.25, 0.25, 0.25] };

describe("PSI against reference.json bins", () => {
  it("bins as reference.json defines them (x < e0, e[i-1] <= x < e[i], x >= last)", () => {
    expect([0.5, 1, 1.5, 2, 3, 99].map((x) => binOf(ref.edges, x))).toEqual([0, 1, 1, 2, 3, 3]);
  });

  it("is 0 for the reference itself and matches the formula by hand", () => {
    expect(psiOf(ref.proportions, [5, 5, 5, 5])).toBeCloseTo(0, 12);
    const cur = [0.1, 0.2, 0.3, 0.4];
    const byHand = cur.reduce((s, c) => s + (c - 0.25) * Math.log(c / 0.25), 0);
    expect(psiOf(ref.proportions, [10, 20, 30, 40])).toBeCloseTo(byHand, 12);
    expect(psiOf(ref.proportions, [0, 0, 0, 0])).toBeNull();
  });

  it("floors empty bins so one empty bin is large but finite", () => {
    const p = psiOf(ref.proportions, [0, 10, 10, 10])!;
    expect(Number.isFinite(p)).toBe(true);
    expect(driftStatusOf(p)).toBe("critical");
    expect([0.05, 0.1, 0.2, 0.25].map((x) => driftStatusOf(x))).toEqual([
      "stable",
      "warning",
      "warning",
      "critical",
    ]);
  });

  it("the sliding window equals a from-scratch table over its last N observations", () => {
    const w = new DriftWindow({
      names: ["a"],
      reference: { a: ref },
      windowSize: 1000,
      recomputeEvery: 500,
      minObservations: 100,
    });
    const xs: number[] = [];
    let reports = 0;
    for (let i = 0; i < 3000; i++) {
      const x = i < 1500 ? (i % 4) + 0.5 : 3.5; // uniform, then everything in the last bin
      xs.push(x);
      if (w.add([x])) reports++;
    }
    expect(reports).toBe(1 + 6); // first at 100, then every 500th
    const fresh = psiTable(["a"], [xs.slice(-1000)], { a: ref })[0];
    expect(w.compute().features[0].psi).toBeCloseTo(fresh.psi!, 12);
    expect(w.compute().status).toBe("critical");
  });
});

describe("score shift", () => {
  it("is the live mean's distance from the baseline in baseline σ", () => {
    const s = scoreShiftOf(0.51 * 200, 200, { mean: 0.2, std: 0.1, count: 1000 });
    expect(s.shift_sigma).toBeCloseTo(3.1, 12);
    expect(s.status).toBe("critical");
    expect(scoreShiftOf(0.45 * 200, 200, { mean: 0.2, std: 0.1, count: 1 }).status).toBe("warning");
    expect(scoreShiftOf(1, 5, { mean: 0.2, std: 0.1, count: 1 }).status).toBe("insufficient_data");
  });
});

describe("intervals", () => {
  it("Wilson and Newcombe match published values", () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 5);
    // Newcombe (1998) example: 56/70 vs 48/80 → difference 0.2, interval 0.0524 to 0.3339.
    const a = wilson(48, 80);
    const b = wilson(56, 70);
    const d = differenceOf(a, b);
    expect(d.value).toBeCloseTo(0.2, 12);
    expect(d.ci95!.lower).toBeCloseTo(0.0524, 3);
    expect(d.ci95!.upper).toBeCloseTo(0.3339, 3);
    // Wilson 81/263 (Newcombe's table): 0.2553 to 0.3662.
    expect(wilson(81, 263).ci95!.lower).toBeCloseTo(0.2553, 3);
    expect(wilson(81, 263).ci95!.upper).toBeCloseTo(0.3662, 3);
  });

  it("the A/B report counts precision, recall and FPR at the operating threshold", () => {
    const c = emptyAggregate();
    const k = emptyAggregate();
    for (const [s, y] of [
      [0.9, true],
      [0.8, false],
      [0.1, true],
      [0.2, false],
      [0.3, null],
    ] as const)
      addPrediction(c, s, 0.6, y);
    addPrediction(k, 0.7, 0.6, true);
    const r = abReport(c, k, 0.6);
    expect(r.champion.count).toBe(5);
    expect(r.champion.labeled).toBe(4);
    expect(r.champion.precision.value).toBe(0.5);
    expect(r.champion.recall.value).toBe(0.5);
    expect(r.champion.false_positive_rate.value).toBe(0.5);
    expect(r.challenger.precision.value).toBe(1);
    expect(r.difference.precision.value).toBe(0.5);
  });
});
