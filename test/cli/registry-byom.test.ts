import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnChildSync } from "../helpers/cli.js";

/** Bring your own model: a model trained by real XGBoost in Python, registered, staged and downloaded. */
describe("lakay models register with a real XGBoost model", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const lakay = (...args: string[]) => runCli(args, { cwd: dir, env });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lakay-byom-"));
    env = { LAKAY_HOME: path.join(dir, ".lakay"), LAKAY_ACTOR: "data-scientist" };
    const script = `
import json, numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.normal(size=(300, 3)); y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
d = xgb.DMatrix(X, label=y, feature_names=["amount", "hour_of_day", "velocity_count_1h"])
b = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 7}, d, 5)
b.save_model("xgb.json")
json.dump({"names": ["amount", "hour_of_day", "velocity_count_1h"]}, open("features.json", "w"))
`;
    const r = spawnChildSync("/usr/bin/python3", ["-c", script], { cwd: dir });
    if (r.status !== 0) throw new Error(`XGBoost (/usr/bin/python3) failed: ${r.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("registers it with its own run and checksums, and hands back the identical file", () => {
    const reg = lakay(
      "models",
      "register",
      "xgb-external",
      "--model-file",
      "xgb.json",
      "--features",
      "features.json",
      "--tag",
      "framework=xgboost",
      "--json",
    );
    expect(reg.status, reg.stderr).toBe(0);
    const v = JSON.parse(reg.stdout);
    expect(v).toMatchObject({
      name: "xgb-external",
      version: 1,
      stage: "None",
      tags: { framework: "xgboost" },
    });
    expect(v.files.map((f: { path: string }) => f.path)).toEqual(["features.json", "model.json"]);
    expect(
      lakay("models", "transition", "xgb-external", "1", "Staging", "--reason", "trained in Python").status,
    ).toBe(0);
    const dl = lakay("models", "download", "xgb-external", "Staging", "--out", "served");
    expect(dl.status, dl.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "served", "model.json"), "utf8")).toBe(
      readFileSync(path.join(dir, "xgb.json"), "utf8"),
    );
    const run = JSON.parse(lakay("runs", "show", v.run_id, "--json").stdout);
    expect(run.tags["lakay.source"]).toBe("external");
    expect(run.status).toBe("FINISHED");
  });
});
