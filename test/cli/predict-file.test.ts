import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { gbdtTrainCli, PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import { xgbHelper, xgboostPredict } from "../gbdt/xgboost-interop.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-predict-cli-"));
const features = join(dir, "features.csv");
const readScores = (file: string): number[] => {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  expect(header).toBe("score");
  return lines.map(Number);
};

beforeAll(() => {
  const r = runCli(["features", "build", "--dataset", PAYSIM_SAMPLE, "--out", features]);
  expect(r.status, r.stderr).toBe(0);
});

describe("lakay predict --model file.json --features f.csv", () => {
  it("scores every row, in order, as XGBoost does with a model XGBoost trained", () => {
    const model = join(dir, "xgb.json");
    xgbHelper([
      "train",
      features,
      "isFraud",
      model,
      JSON.stringify({ n_estimators: 30, max_depth: 5, eta: 0.2 }),
    ]);
    const out = join(dir, "scores.csv");
    const r = runCli(["predict", "--model", model, "--features", features, "--out", out, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(19_999);
    const ours = readScores(out);
    const theirs = xgboostPredict(model, features, join(dir, "xgb-pred.txt"));
    expect(ours).toHaveLength(19_999);
    let worst = 0;
    ours.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - theirs[i]))));
    expect(worst).toBeLessThan(1e-6);
  });

  it("matches columns by name (any order, extras ignored) and names a missing column", () => {
    const model = join(dir, "ours.json");
    const t = gbdtTrainCli(features, model, "--eval-fraction", "0");
    expect(t.status, t.stderr).toBe(0);
    const [header, ...rows] = readFileSync(features, "utf8").trim().split("\n");
    const names = header.split(",");
    const order = names.map((_, i) => i).reverse();
    const shuffled = join(dir, "shuffled.csv");
    writeFileSync(
      shuffled,
      [
        order.map((i) => names[i]).join(","),
        ...rows.map((l) => order.map((i) => l.split(",")[i]).join(",")),
      ].join("\n") + "\n",
    );
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    expect(runCli(["predict", "--model", model, "--features", features, "--out", a]).status).toBe(0);
    expect(runCli(["predict", "--model", model, "--features", shuffled, "--out", b]).status).toBe(0);
    expect(readScores(b)).toEqual(readScores(a));

    const dropped = join(dir, "dropped.csv");
    const keep = names.map((_, i) => i).filter((i) => names[i] !== "velocity_count_1h");
    writeFileSync(
      dropped,
      [
        keep.map((i) => names[i]).join(","),
        ...rows.slice(0, 10).map((l) => keep.map((i) => l.split(",")[i]).join(",")),
      ].join("\n") + "\n",
    );
    const r = runCli(["predict", "--model", model, "--features", dropped, "--out", join(dir, "c.csv")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"velocity_count_1h"');
  });

  it("refuses an unsupported model naming what is unsupported (exit 1) and a missing file (exit 2)", () => {
    const model = join(dir, "multi.json");
    const doc = JSON.parse(readFileSync(join(dir, "ours.json"), "utf8"));
    doc.learner.objective.name = "multi:softprob";
    writeFileSync(model, JSON.stringify(doc));
    const r = runCli(["predict", "--model", model, "--features", features, "--out", join(dir, "d.csv")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("multi:softprob");
    const none = runCli([
      "predict",
      "--model",
      join(dir, "nope.json"),
      "--features",
      features,
      "--out",
      join(dir, "d.csv"),
    ]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("nope.json");
  });
});
