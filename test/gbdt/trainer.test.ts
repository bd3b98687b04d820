import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import {
  aucRoc,
  Booster,
  CompiledPredictor,
  ParallelBatchPredictor,
  trainBooster,
} from "../../src/gbdt/index.js";
import { syntheticData } from "./synthetic.js";

const params = {
  n_estimators: 30,
  max_depth: 5,
  learning_rate: 0.2,
  subsample: 0.8,
  colsample_bytree: 0.8,
  seed: 7,
};

describe("trainBooster", () => {
  it("gives the same model file byte for byte with 1 and 2 threads", async () => {
    // Several 16,384-row blocks, so blocks really are shared between threads; deep trees, so
    // nodes stop at different levels and leave their rows in either of the two id buffers.
    const data = syntheticData(60_000, 3);
    const deep = { ...params, n_estimators: 20, max_depth: 8 };
    const one = await trainBooster(data, deep, { nThreads: 1 });
    const two = await trainBooster(data, deep, { nThreads: 2 });
    expect(two.toXgboostJson()).toBe(one.toXgboostJson());
    expect(one.training?.threads).toBe(1);
  });

  it("splits on features that share a histogram column, with byte and 16-bit bins alike", async () => {
    // "count" (12 values) and "flag" (2) share one joint-code column; so do they with max_bin 512.
    const data = syntheticData(20_000, 5);
    for (const max_bin of [256, 512]) {
      const one = await trainBooster(data, { ...params, max_bin }, { nThreads: 1 });
      const two = await trainBooster(data, { ...params, max_bin }, { nThreads: 2 });
      expect(two.toXgboostJson()).toBe(one.toXgboostJson());
      const used = new Set(
        one.trees.flatMap((t) => Array.from(t.splitIndices.filter((_, i) => t.leftChildren[i] !== -1))),
      );
      expect(used.has(data.featureNames.indexOf("flag"))).toBe(true);
      const scores = one.compile().predictBatch(data.columns, data.labels.length);
      expect(aucRoc(data.labels, scores)).toBeGreaterThan(0.9);
    }
  });

  it("round-trips through XGBoost JSON with identical predictions, compiled equal to interpreted", async () => {
    const data = syntheticData(5000);
    const booster = await trainBooster(data, params);
    const loaded = Booster.fromXgboostJson(booster.toXgboostJson());
    expect(loaded.toXgboostJson()).toBe(booster.toXgboostJson());
    const a = booster.compile().predictBatch(data.columns, 5000);
    const b = loaded.compile().predictBatch(data.columns, 5000);
    const c = loaded.interpreter().predictBatch(data.columns, 5000);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const margins = loaded.compile().predictBatch(data.columns, 5000, undefined, { margin: true });
    const row = data.columns.map((col) => col[42]);
    expect(loaded.compile().predictMargin(row)).toBe(margins[42]);
    expect(loaded.compile().predictRow(row)).toBe(a[42]);
    expect(aucRoc(data.labels, a)).toBeGreaterThan(0.9);
  });

  it("learns a default direction for missing values and uses it for rows missing at prediction", async () => {
    const data = syntheticData(5000);
    const booster = await trainBooster(data, { ...params, colsample_bytree: 1 });
    expect(booster.trees.some((t) => t.defaultLeft.some((d) => d === 1))).toBe(true);
    const p = booster.compile();
    const allMissing = p.predictRow(new Float64Array(5).fill(NaN));
    expect(allMissing).toBeGreaterThan(0);
    expect(allMissing).toBeLessThan(1);
  });

  it("ignores a constant feature and an all-missing feature", async () => {
    const data = syntheticData(3000);
    const constant = new Float64Array(3000).fill(4.5);
    const missing = new Float64Array(3000).fill(NaN);
    const booster = await trainBooster(
      {
        columns: [...data.columns, constant, missing],
        featureNames: [...data.featureNames, "const", "missing"],
        labels: data.labels,
      },
      params,
    );
    for (const t of booster.trees) {
      for (let i = 0; i < t.leftChildren.length; i++)
        if (t.leftChildren[i] !== -1) expect(t.splitIndices[i]).toBeLessThan(5);
    }
  });

  it("trains on infinite values without writing an infinite threshold", async () => {
    const data = syntheticData(3000);
    for (let i = 0; i < 3000; i += 7) data.columns[0][i] = i % 2 ? Infinity : -Infinity;
    const booster = await trainBooster(data, params);
    expect(() => Booster.fromXgboostJson(booster.toXgboostJson())).not.toThrow();
    expect(booster.compile().predictRow([Infinity, 0, 1, 0.5, 1])).toBeGreaterThan(0);
  });

  it("refuses training data with a single class, naming the problem", async () => {
    const data = syntheticData(100);
    data.labels.fill(0);
    await expect(trainBooster(data, params)).rejects.toThrow(BadInputError);
    await expect(trainBooster(data, params)).rejects.toThrow(/single class/);
  });

  it("refuses labels other than 0 and 1", async () => {
    const data = syntheticData(100);
    data.labels[3] = 2;
    await expect(trainBooster(data, params)).rejects.toThrow(/row 4 is 2/);
  });

  it("trains on tiny data (fewer rows than min_child_weight) into root-only trees at the base score", async () => {
    const data = syntheticData(4);
    data.labels.set([0, 1, 0, 1]);
    const booster = await trainBooster(data, { n_estimators: 3, min_child_weight: 10 });
    expect(booster.trees.every((t) => t.leftChildren.length === 1)).toBe(true);
    expect(booster.compile().predictRow([1, 2, 3, 4, 5])).toBeCloseTo(0.5, 7);
  });

  it("stops early on the eval set and keeps the best round's trees", async () => {
    const train = syntheticData(4000, 1);
    const evalSet = syntheticData(2000, 2);
    const rounds: number[] = [];
    const booster = await trainBooster(
      train,
      {
        ...params,
        n_estimators: 400,
        learning_rate: 0.5,
        max_depth: 6,
        eval_metric: "logloss",
        early_stopping_rounds: 5,
      },
      { evalSet, onRound: (r) => rounds.push(r.round) },
    );
    const s = booster.training!;
    expect(s.roundsRun).toBeLessThan(400);
    expect(s.roundsRun).toBe(s.bestIteration! + 1 + 5);
    expect(booster.numTrees).toBe(s.bestIteration! + 1);
    expect(booster.attributes.best_iteration).toBe(String(s.bestIteration));
    expect(rounds.length).toBe(s.roundsRun);
    expect(s.evalHistory[s.bestIteration!]).toBe(Math.min(...s.evalHistory));
    expect(s.evalMetrics!.auc).toBeGreaterThan(0.9);
  });

  it("validates parameters by XGBoost's names and rejects unknown keys", async () => {
    const data = syntheticData(100);
    await expect(trainBooster(data, { n_estimators: 3, max_detph: 4 } as never)).rejects.toThrow(/max_detph/);
    await expect(trainBooster(data, { subsample: 1.5 })).rejects.toThrow(/subsample/);
    await expect(trainBooster(data, { eta: 0.1, learning_rate: 0.2 })).rejects.toThrow(/same parameter/);
  });
});

describe("ParallelBatchPredictor", () => {
  it("scores exactly as the single-thread batch predictor, probabilities and margins", async () => {
    const data = syntheticData(150_000, 9);
    const booster = await trainBooster(data, { ...params, n_estimators: 10 });
    const compiled = booster.compile();
    expect(compiled).toBeInstanceOf(CompiledPredictor);
    const pool = new ParallelBatchPredictor(compiled, 2);
    try {
      expect(await pool.predictBatch(data.columns, 150_000)).toEqual(
        compiled.predictBatch(data.columns, 150_000),
      );
      expect(await pool.predictBatch(data.columns, 1000, { margin: true })).toEqual(
        compiled.predictBatch(data.columns, 1000, undefined, { margin: true }),
      );
    } finally {
      await pool.close();
    }
  });
});
