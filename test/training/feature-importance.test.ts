import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFeatureCsv } from "../../src/data/index.js";
import { Booster } from "../../src/gbdt/index.js";
import { featureImportanceReport } from "../../src/training/feature-importance-report.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import { xgbHelper, xgboostContribs } from "../gbdt/xgboost-interop.js";

/**
 * The training report's feature importance, from a real `lakay train` on the PaySim sample:
 * metrics.json's gain / cover / weight equal XGBoost's `get_score` on the same model file, its
 * mean |contribution| equals the mean of XGBoost's |pred_contribs|, and the classification
 * report carries the table.
 */
const home = mkdtempSync(path.join(tmpdir(), "lakay-importance-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const out = path.join(home, "artifacts");
const features = path.join(home, "features.csv");

interface Importance {
  feature: string;
  mean_abs_contribution: number;
  weight: number;
  gain: number;
  cover: number;
  total_gain: number;
  total_cover: number;
}

beforeAll(() => {
  const t = runCli(
    ["train", "--dataset", PAYSIM_SAMPLE, "--sample-size", "10000", "--no-register", "--out", out, "--json"],
    { env: { LAKAY_HOME: home } },
  );
  expect(t.status, t.stderr).toBe(0);
  const f = runCli(["features", "build", "--dataset", PAYSIM_SAMPLE, "--out", features]);
  expect(f.status, f.stderr).toBe(0);
});

describe("feature importance in the training report", () => {
  it("metrics.json: every feature, XGBoost's get_score for gain / cover / weight", () => {
    const metrics = JSON.parse(readFileSync(path.join(out, "metrics.json"), "utf8"));
    const imp = metrics.feature_importance as { rows_explained: number; features: Importance[] };
    expect(imp.rows_explained).toBe(metrics.test_rows);
    const model = path.join(out, "model.json");
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"));
    expect(imp.features.map((f) => f.feature).sort()).toEqual([...booster.featureNames].sort());
    const sorted = imp.features.map((f) => f.mean_abs_contribution);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    expect(sorted[0]).toBeGreaterThan(0);

    const score = JSON.parse(xgbHelper(["importance", model])) as Record<string, Record<string, number>>;
    let used = 0;
    for (const f of imp.features) {
      if (!(f.feature in score.weight)) {
        expect(f.weight).toBe(0);
        continue;
      }
      used++;
      expect(f.weight).toBe(score.weight[f.feature]);
      for (const kind of ["gain", "cover", "total_gain", "total_cover"] as const)
        expect(Math.abs(f[kind] - score[kind][f.feature])).toBeLessThanOrEqual(
          1e-5 * Math.abs(score[kind][f.feature]),
        );
    }
    expect(used).toBeGreaterThan(3);

    const report = readFileSync(path.join(out, "classification_report.txt"), "utf8");
    expect(report).toMatch(/precision/);
    expect(report).toMatch(/Feature importance \(mean \|contribution\| in log-odds on \d+ test rows/);
    for (const f of imp.features) expect(report).toContain(f.feature);
  });

  it("mean |contribution| is the mean of XGBoost's |pred_contribs| over the rows", async () => {
    const model = path.join(out, "model.json");
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"));
    const csv = await readFeatureCsv(features);
    const columns = booster.featureNames.map((n) => csv.columns[csv.names.indexOf(n)]);
    const report = await featureImportanceReport(booster, columns, csv.rows, 2, csv.rows);
    expect(report.rows_explained).toBe(csv.rows);
    const theirs = xgboostContribs(model, features, path.join(home, "contribs.f32"));
    const nf = booster.featureNames.length;
    booster.featureNames.forEach((name, f) => {
      let sum = 0;
      for (let r = 0; r < csv.rows; r++) sum += Math.abs(theirs[r * (nf + 1) + f]);
      const mine = report.features.find((x) => x.feature === name)!;
      expect(Math.abs(mine.mean_abs_contribution - sum / csv.rows)).toBeLessThan(1e-5);
    });
  });
});
