import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";

describe("lakay predict --model models:/NAME/Production --dataset", () => {
  it("scores a raw PaySim file with the version a train run registered", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "lakay-train-predict-"));
    const env = { LAKAY_HOME: home };
    const t = runCli(
      ["train", "--dataset", PAYSIM_SAMPLE, "--sample-size", "10000", "--model-name", "p", "--json"],
      { env },
    );
    expect(t.status).toBe(0);
    const reg = await openLakay({ env: { ...process.env, ...env } });
    await reg.transitionStage({ name: "p", version: 1, stage: "Production", actor: "test" });
    await reg.close();

    const out = path.join(home, "scores.csv");
    const r = runCli(
      ["predict", "--model", "models:/p/Production", "--dataset", PAYSIM_SAMPLE, "--out", out, "--json"],
      { env },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model_name: "p", version: 1, rows: 19_999 });
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(20_000);
    expect(lines[1]).toMatch(/^1,PAYMENT,9839\.64,C1231006815,M1979787155,0,0\.\d+/);

    // The feature-matrix form takes registry references through the same loader.
    const features = path.join(home, "features.csv");
    expect(runCli(["features", "build", "--dataset", PAYSIM_SAMPLE, "--out", features]).status).toBe(0);
    const fromMatrix = path.join(home, "matrix-scores.csv");
    const m = runCli(
      ["predict", "--model", "models:/p/Production", "--features", features, "--out", fromMatrix, "--json"],
      { env },
    );
    expect(m.stderr).toBe("");
    expect(m.status).toBe(0);
    const matrixScores = readFileSync(fromMatrix, "utf8").trim().split("\n").slice(1).map(Number);
    const datasetScores = lines.slice(1).map((l) => Number(l.split(",").at(-1)));
    expect(matrixScores).toHaveLength(19_999);
    matrixScores.forEach((s, i) => expect(Math.abs(s - datasetScores[i])).toBeLessThan(1e-8));

    const missing = runCli(
      ["predict", "--model", "models:/p/Staging", "--dataset", PAYSIM_SAMPLE, "--out", out],
      { env },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Staging/);
  });
});
