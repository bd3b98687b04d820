import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Booster, ParallelExplainer, trainBooster } from "../../src/gbdt/index.js";
import { syntheticData } from "./synthetic.js";

/**
 * `ParallelExplainer.start` lets the caller work while the workers explain (`lakay train` writes its
 * other reports meanwhile): whoever explains which row, the contributions are `explainBatch`'s.
 */
describe("ParallelExplainer.start / finish", () => {
  // More rows than one shared-memory chunk (16,384), so later chunks are handed out by `finish`.
  const { columns, featureNames, labels } = syntheticData(40_000, 11);
  const rows = labels.length;
  let booster: Booster;
  let single: Float64Array;
  beforeAll(async () => {
    booster = await trainBooster(
      { columns, featureNames, labels },
      { n_estimators: 20, max_depth: 5, learning_rate: 0.3, seed: 3 },
      { nThreads: 1 },
    );
    single = booster.explainer().explainBatch(columns, rows);
  });
  const pool = () => new ParallelExplainer(booster.explainer(), 2);
  const pools: ParallelExplainer[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it("gives explainBatch's contributions when this thread joins only after other work", async () => {
    const p = pool();
    pools.push(p);
    const job = p.start(columns, rows);
    // Give the worker time to start and take rows of the first chunk on its own.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const got = await job.finish();
    expect(got.length).toBe(single.length);
    expect(got.every((v, i) => Object.is(v, single[i]))).toBe(true);
  });

  it("gives them when this thread joins at once, and explainBatch is start then finish", async () => {
    const p = pool();
    pools.push(p);
    const got = await p.start(columns, rows).finish();
    expect(got.every((v, i) => Object.is(v, single[i]))).toBe(true);
    const again = await p.explainBatch(
      columns.map((c) => c.subarray(0, 100)),
      100,
    );
    expect(again.every((v, i) => Object.is(v, single[i]))).toBe(true);
  });
});
