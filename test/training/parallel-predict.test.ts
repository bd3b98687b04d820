import { describe, expect, it } from "vitest";
import { trainBooster } from "../../src/gbdt/index.js";
import { predictParallel } from "../../src/training/parallel-predict.js";

describe("predictParallel", () => {
  it("gives exactly the single-threaded scores on two threads", async () => {
    const n = 150_000;
    let s = 3;
    const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const cols = [0, 1, 2].map(() => new Float64Array(n));
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (const c of cols) c[i] = rnd();
      y[i] = cols[0][i] + cols[1][i] * 0.5 + rnd() * 0.3 > 1.1 ? 1 : 0;
    }
    const small = {
      columns: cols.map((c) => c.subarray(0, 20_000)),
      featureNames: ["a", "b", "c"],
      labels: y.subarray(0, 20_000),
    };
    const booster = await trainBooster(small, { n_estimators: 20, max_depth: 4 }, { nThreads: 1 });
    const one = booster.compile().predictBatch(cols, n);
    const two = await predictParallel(booster, cols, n, 2);
    expect(Array.from(two)).toEqual(Array.from(one));
  });
});
