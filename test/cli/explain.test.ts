import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import { worstDiff, xgbHelper, xgboostContribs } from "../gbdt/xgboost-interop.js";

/**
 * `lakay explain` end to end: a model XGBoost trained, explained here on every row of the PaySim
 * sample's features and compared with XGBoost's own pred_contribs; the --top form; a registered
 * version explaining a raw PaySim file; bad input refused with exit code 2.
 */
const home = mkdtempSync(path.join(tmpdir(), "lakay-explain-"));
const features = path.join(home, "features.csv");
const model = path.join(home, "xgb.json");

const readCsv = (file: string) => {
  const [header, ...rows] = readFileSync(file, "utf8").trim().split("\n");
  return { header: header.split(","), rows: rows.map((r) => r.split(",")) };
};

beforeAll(() => {
  const f = runCli(["features", "build", "--dataset", PAYSIM_SAMPLE, "--out", features]);
  expect(f.status, f.stderr).toBe(0);
  const params = { n_estimators: 60, max_depth: 6, eta: 0.2, scale_pos_weight: 50, seed: 3 };
  xgbHelper(["train", features, "isFraud", model, JSON.stringify(params)]);
});

describe("lakay explain", () => {
  it("writes XGBoost's pred_contribs for every row: model features in order, then bias", () => {
    const out = path.join(home, "contribs.csv");
    const r = runCli(["explain", "--model", model, "--features", features, "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ rows: 19_999, trees: 60, top: null, out });
    const names = (JSON.parse(readFileSync(model, "utf8")) as { learner: { feature_names: string[] } })
      .learner.feature_names;
    expect(summary.importance.map((i: { feature: string }) => i.feature).sort()).toEqual([...names].sort());

    const csv = readCsv(out);
    expect(csv.header).toEqual([...names, "bias"]);
    expect(csv.rows).toHaveLength(19_999);
    const ours = Float64Array.from(csv.rows.flat(), Number);
    const theirs = xgboostContribs(model, features, path.join(home, "xgb.f32"));
    expect(worstDiff(ours, theirs)).toBeLessThan(1e-5);
    expect(summary.bias).toBeCloseTo(ours[names.length], 6);

    // --top 3: the three largest |contribution| of each row, with the row's value of the feature.
    const topOut = path.join(home, "top.csv");
    const t = runCli(["explain", "--model", model, "--features", features, "--out", topOut, "--top", "3"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/explained 19,999 rows with 60 trees/);
    const top = readCsv(topOut);
    expect(top.header).toEqual([1, 2, 3].flatMap((k) => [`feature_${k}`, `value_${k}`, `contribution_${k}`]));
    const featureCsv = readCsv(features);
    for (const row of [0, 1, 500, 19_998]) {
      const full = csv.rows[row].slice(0, names.length).map(Number);
      const order = names
        .map((n, f) => ({ n, c: full[f] }))
        .filter((x) => x.c !== 0)
        .sort((a, b) => Math.abs(b.c) - Math.abs(a.c));
      const cells = top.rows[row];
      for (let k = 0; k < 3; k++) {
        expect(cells[3 * k]).toBe(order[k].n);
        expect(Number(cells[3 * k + 2])).toBe(order[k].c);
        const raw = featureCsv.rows[row][featureCsv.header.indexOf(order[k].n)];
        expect(cells[3 * k + 1] === "" ? "" : Number(cells[3 * k + 1])).toBe(raw === "" ? "" : Number(raw));
      }
    }
  });

  it("explains a raw PaySim file with a registered version, as the feature CSV gives", async () => {
    const env = { LAKAY_HOME: path.join(home, "registry-home") };
    const t = runCli(
      ["train", "--dataset", PAYSIM_SAMPLE, "--sample-size", "10000", "--model-name", "p", "--json"],
      { env },
    );
    expect(t.status, t.stderr).toBe(0);
    const reg = await openLakay({ env: { ...process.env, ...env } });
    await reg.transitionStage({ name: "p", version: 1, stage: "Production", actor: "test" });
    await reg.close();

    const fromDataset = path.join(home, "dataset.csv");
    const r = runCli(
      [
        "explain",
        "--model",
        "models:/p/Production",
        "--dataset",
        PAYSIM_SAMPLE,
        "--out",
        fromDataset,
        "--json",
      ],
      { env },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model_name: "p", version: 1, rows: 19_999 });
    const fromFeatures = path.join(home, "features-explained.csv");
    const m = runCli(
      ["explain", "--model", "models:/p/1", "--features", features, "--out", fromFeatures, "--threads", "1"],
      { env },
    );
    expect(m.status, m.stderr).toBe(0);
    expect(readFileSync(fromFeatures, "utf8")).toBe(readFileSync(fromDataset, "utf8"));
  });

  it("refuses bad input with exit code 2 and a sentence naming it", () => {
    const out = path.join(home, "bad.csv");
    const neither = runCli(["explain", "--model", model, "--out", out]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toMatch(/--features.*--dataset/);

    const partial = path.join(home, "partial.csv");
    writeFileSync(partial, "amount,step\n1,2\n");
    const missing = runCli(["explain", "--model", model, "--features", partial, "--out", out]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/partial\.csv/);
    expect(missing.stderr).toMatch(/needs column/);

    const noModel = runCli([
      "explain",
      "--model",
      path.join(home, "nope.json"),
      "--features",
      features,
      "--out",
      out,
    ]);
    expect(noModel.status).toBe(2);

    const badTop = runCli(["explain", "--model", model, "--features", features, "--out", out, "--top", "0"]);
    expect(badTop.status).toBe(2);
    expect(badTop.stderr).toMatch(/--top/);
  });
});
