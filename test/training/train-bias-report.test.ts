import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LAKAY_MIGRATIONS } from "../../src/app/index.js";
import { sqliteUri } from "../../src/config/index.js";
import { readPaysim } from "../../src/data/index.js";
import { buildFeatures } from "../../src/features/index.js";
import {
  loadModel,
  parseTrainingConfig,
  runTrainingPipeline,
  scoreFeatureMatrix,
  stratifiedSplit,
  type BiasReport,
} from "../../src/training/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { compareWithReference, reference } from "./bias-reference.js";

describe("lakay train writes bias_audit.json on its test split", () => {
  it("with a checksum in the manifest, every number equal to pandas on the same test rows", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "lakay-train-bias-"));
    const out = path.join(home, "out");
    const config = parseTrainingConfig({
      model_name: "tb",
      hyperparams: { n_estimators: 30, max_depth: 4 },
      bias_audit: { min_positives: 5, min_rows: 100 },
    });
    await runTrainingPipeline({
      dataset: PAYSIM_SAMPLE,
      config,
      registryUri: sqliteUri(path.join(home, "lakay.db")),
      artifactRoot: path.join(home, "artifacts"),
      migrations: LAKAY_MIGRATIONS,
      outDir: out,
      threads: 1,
      env: { ...process.env, LAKAY_HOME: home },
    });

    const text = readFileSync(path.join(out, "bias_audit.json"), "utf8");
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as {
      files: { path: string; sha256: string }[];
    };
    expect(manifest.files.find((f) => f.path === "bias_audit.json")?.sha256).toBe(
      createHash("sha256").update(text).digest("hex"),
    );
    const report = JSON.parse(text) as BiasReport;
    expect(report).toMatchObject({
      model: "tb",
      version: null,
      rows_scored: "test",
      threshold: 0.5,
      bounds: { min_positives: 5, min_rows: 100 },
    });

    // The same test rows, scored by the written model, audited by pandas over the whole file's segments.
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const split = stratifiedSplit(tx.isFraud!, config.test_size, config.random_seed);
    const all = await scoreFeatureMatrix(await loadModel(out), buildFeatures(tx), 1);
    const testScores = Float64Array.from(split.test, (r) => all[r]);
    expect(report.overall.count).toBe(split.test.length);
    compareWithReference(report, reference(PAYSIM_SAMPLE, testScores, 0.5, config.bias_audit, split.test));
  }, 120_000);
});
