import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readFeatureCsv } from "../../src/data/index.js";
import { Booster } from "../../src/gbdt/index.js";
import { gbdtTrainCli, runCli } from "../helpers/cli.js";
import { xgbHelper, xgboostPredict } from "./xgboost-interop.js";

/**
 * Both interop directions on a generated PaySim file, end to end through the CLI as a user runs
 * it: `lakay generate paysim` → `lakay features build` → a model from either engine → the other
 * engine's predictions on every row.
 */
const dir = mkdtempSync(join(tmpdir(), "lakay-gbdt-generated-"));
const features = join(dir, "features.csv");

beforeAll(() => {
  const paysim = join(dir, "paysim.csv");
  const g = runCli(["generate", "paysim", "--rows", "30000", "--seed", "11", "--out", paysim]);
  expect(g.status, g.stderr).toBe(0);
  const f = runCli(["features", "build", "--dataset", paysim, "--out", features]);
  expect(f.status, f.stderr).toBe(0);
});

const worstDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("XGBoost interop on a generated PaySim feature matrix", () => {
  it("a model XGBoost trained predicts here exactly as in XGBoost, on every row", async () => {
    const model = join(dir, "xgb.json");
    xgbHelper([
      "train",
      features,
      "isFraud",
      model,
      JSON.stringify({ n_estimators: 80, max_depth: 8, eta: 0.1, subsample: 0.8, seed: 2 }),
    ]);
    const out = join(dir, "scores.csv");
    const r = runCli(["predict", "--model", model, "--features", features, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const ours = (await readFeatureCsv(out)).columns[0];
    expect(ours).toHaveLength(30_000);
    expect(worstDiff(ours, xgboostPredict(model, features, join(dir, "xgb-pred.txt")))).toBeLessThan(1e-6);
  });

  it("a model trained here predicts in XGBoost exactly as here, on every row", async () => {
    const model = join(dir, "ours.json");
    const t = gbdtTrainCli(features, model, "--eval-fraction", "0");
    expect(t.status, t.stderr).toBe(0);
    const csv = await readFeatureCsv(features);
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"));
    const cols = booster.featureNames.map((n) => csv.columns[csv.names.indexOf(n)]);
    const ours = booster.compile().predictBatch(cols, csv.rows);
    expect(worstDiff(ours, xgboostPredict(model, features, join(dir, "ours-pred.txt")))).toBeLessThan(1e-6);
  });
});
