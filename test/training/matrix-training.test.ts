import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import type { NumericCsv } from "../../src/data/index.js";
import { classRatio } from "../../src/training/booster-params.js";
import { stratifiedSplit, trainOnFeatureMatrix } from "../../src/training/index.js";

function matrix(n: number, label: (i: number) => number): NumericCsv {
  const x = Float64Array.from({ length: n }, (_, i) => (i * 7) % 13);
  const y = Float64Array.from({ length: n }, (_, i) => label(i));
  return { names: ["x", "isFraud"], columns: [x, y], rows: n };
}

describe("trainOnFeatureMatrix", () => {
  it("holds out a stratified eval share and weighs the classes of the training rows", async () => {
    const csv = matrix(500, (i) => (i % 10 === 0 ? 1 : 0));
    const r = await trainOnFeatureMatrix(csv, "m.csv", {
      label: "isFraud",
      params: { n_estimators: 3, max_depth: 2, scale_pos_weight: "auto", seed: 5 },
      paramsSource: "test",
      evalFraction: 0.2,
      threads: 1,
    });
    const split = stratifiedSplit(csv.columns[1], 0.2, 5);
    expect(r.featureNames).toEqual(["x"]);
    expect([r.trainRows, r.evalRows]).toEqual([split.train.length, split.test.length]);
    expect(r.params.scale_pos_weight).toBe(classRatio(csv.columns[1], split.train));
    expect(r.booster.training?.evalMetrics).toBeDefined();
  });

  it("names the file, line and column of a label that is not 0 or 1", async () => {
    const csv = matrix(50, (i) => (i === 7 ? 2 : i % 2));
    const run = trainOnFeatureMatrix(csv, "m.csv", {
      label: "isFraud",
      params: {},
      paramsSource: "test",
      evalFraction: 0,
    });
    await expect(run).rejects.toThrow(BadInputError);
    await expect(run).rejects.toThrow("m.csv, line 9, column isFraud: label is 2; labels must be 0 or 1");
    await expect(
      trainOnFeatureMatrix(csv, "m.csv", { label: "y", params: {}, paramsSource: "t", evalFraction: 0 }),
    ).rejects.toThrow(/no label column "y" \(columns: x, isFraud\)/);
  });
});
