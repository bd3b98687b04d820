import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFeatureCsv, readPaysim, writeFeatureCsv } from "../../src/data/index.js";
import { buildFeatures } from "../../src/features/index.js";
import { Booster, ParallelExplainer, splitImportance, trainBooster } from "../../src/gbdt/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { worstDiff, xgbHelper, xgboostContribs } from "./xgboost-interop.js";

/**
 * TreeSHAP on every row of the real PaySim sample, against XGBoost 1.7's `pred_contribs`, for a
 * model XGBoost trained and one trained here; 3% of two features blanked so default directions
 * are taken. Also: the multi-threaded explainer equals the single-threaded one bit for bit, and
 * split importances equal XGBoost's `get_score`.
 */
const dir = mkdtempSync(join(tmpdir(), "lakay-tree-shap-paysim-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, "features.csv");
let names: string[];
let columns: Float64Array[];
let labels: Float64Array;
let rows: number;

beforeAll(async () => {
  const { tx } = await readPaysim(PAYSIM_SAMPLE);
  const fm = buildFeatures(tx);
  const cols = fm.columns.map((c) => Float64Array.from(c));
  for (let i = 0; i < fm.rows; i++) {
    if ((i * 7919) % 100 < 3) cols[1][i] = NaN;
    if ((i * 104729) % 100 < 3) cols[10][i] = NaN;
  }
  await writeFeatureCsv(csv, [...fm.names, "isFraud"], [...cols, Float64Array.from(tx.isFraud!)], fm.rows);
  // Both sides read the file's values.
  const read = await readFeatureCsv(csv);
  names = [...fm.names];
  columns = names.map((n) => read.columns[read.names.indexOf(n)]);
  labels = read.columns[read.names.indexOf("isFraud")];
  rows = read.rows;
});

describe("TreeSHAP on the real PaySim sample equals XGBoost's pred_contribs on every row", () => {
  it(
    "for a model XGBoost trained (100 trees, depth 8), on one thread and on two",
    { timeout: 600_000 },
    async () => {
      const model = join(dir, "xgb.json");
      const pos = labels.reduce((s, y) => s + y, 0);
      xgbHelper([
        "train",
        csv,
        "isFraud",
        model,
        JSON.stringify({
          n_estimators: 100,
          max_depth: 8,
          eta: 0.1,
          subsample: 0.8,
          colsample_bytree: 0.8,
          scale_pos_weight: (rows - pos) / pos,
          seed: 1,
        }),
      ]);
      const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"), model);
      const explainer = booster.explainer();
      const ours = explainer.explainBatch(columns, rows);
      const theirs = xgboostContribs(model, csv, join(dir, "xgb-contribs.f32"));
      expect(worstDiff(ours, theirs)).toBeLessThan(1e-5);

      const pool = new ParallelExplainer(explainer, 2);
      try {
        const parallel = await pool.explainBatch(columns, rows);
        expect(worstDiff(parallel, ours)).toBe(0);
      } finally {
        await pool.close();
      }

      // XGBoost's get_score: weight, gain and cover (averages), total_gain and total_cover (sums).
      const score = JSON.parse(xgbHelper(["importance", model])) as Record<string, Record<string, number>>;
      const mine = splitImportance(booster.trees, names.length);
      expect(Object.keys(score.weight).length).toBeGreaterThan(3);
      names.forEach((name, f) => {
        const s = mine[f];
        if (!(name in score.weight)) {
          expect(s.weight).toBe(0);
          return;
        }
        expect(s.weight).toBe(score.weight[name]);
        for (const kind of ["gain", "cover", "total_gain", "total_cover"] as const)
          expect(Math.abs(s[kind] - score[kind][name])).toBeLessThanOrEqual(
            1e-5 * Math.abs(score[kind][name]),
          );
      });
    },
  );

  it("for a model trained here", { timeout: 300_000 }, async () => {
    const booster = await trainBooster(
      { columns, featureNames: names, labels },
      { n_estimators: 100, max_depth: 6, learning_rate: 0.1, subsample: 0.8, colsample_bytree: 0.8, seed: 5 },
      { nThreads: 2 },
    );
    const model = join(dir, "ours.json");
    writeFileSync(model, booster.toXgboostJson());
    const ours = booster.explainer().explainBatch(columns, rows);
    const theirs = xgboostContribs(model, csv, join(dir, "ours-contribs.f32"));
    expect(worstDiff(ours, theirs)).toBeLessThan(1e-5);
  });
});
