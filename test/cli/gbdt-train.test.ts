import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Booster } from "../../src/gbdt/index.js";
import { gbdtTrainCli, PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-gbdt-cli-"));
const features = join(dir, "features.csv");

beforeAll(() => {
  const r = runCli(["features", "build", "--dataset", PAYSIM_SAMPLE, "--out", features]);
  expect(r.status, r.stderr).toBe(0);
});

describe("lakay gbdt train", () => {
  it("trains on a feature CSV and prints train_s, rounds and eval metrics with --json", () => {
    const config = join(dir, "params.yaml");
    writeFileSync(
      config,
      "n_estimators: 20\nmax_depth: 4\nlearning_rate: 0.2\nscale_pos_weight: auto\nseed: 3\n",
    );
    const out = join(dir, "model.json");
    const r = gbdtTrainCli(features, out, "--config", config, "--json");
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.rounds).toBe(20);
    expect(summary.train_s).toBeGreaterThan(0);
    expect(summary.rows_train + summary.rows_eval).toBe(19_999);
    expect(summary.eval.aucpr).toBeGreaterThan(0);
    expect(summary.params.scale_pos_weight).toBeGreaterThan(100);
    const booster = Booster.fromXgboostJson(readFileSync(out, "utf8"));
    expect(booster.featureNames).toHaveLength(11);
    expect(booster.numTrees).toBe(20);
    // Same data, parameters and seed: same bytes, whatever the thread count.
    const out1 = join(dir, "model-1thread.json");
    const r1 = gbdtTrainCli(features, out1, "--config", config, "--threads", "1");
    expect(r1.status, r1.stderr).toBe(0);
    expect(readFileSync(out1, "utf8")).toBe(readFileSync(out, "utf8"));
  });

  it("rejects an unknown parameter, a missing label column and a bad flag with exit 2", () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(config, "n_estimators: 5\nmax_detph: 3\n");
    const bad = gbdtTrainCli(features, join(dir, "x.json"), "--config", config);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("max_detph");
    const noLabel = runCli([
      "gbdt",
      "train",
      "--features",
      features,
      "--label",
      "fraud",
      "--out",
      join(dir, "x.json"),
    ]);
    expect(noLabel.status).toBe(2);
    expect(noLabel.stderr).toContain('no label column "fraud"');
    const flag = gbdtTrainCli(features, join(dir, "x.json"), "--eval-fraction", "2");
    expect(flag.status).toBe(2);
  });

  it("has help with an example", () => {
    const r = runCli(["gbdt", "train", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Example:");
  });
});
