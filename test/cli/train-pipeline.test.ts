import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteUri } from "../../src/config/index.js";
import { generatePaysim } from "../../src/data/index.js";
import { FEATURE_NAMES } from "../../src/features/index.js";
import { openLakay } from "../../src/app/index.js";
import { ARTIFACT_FILES } from "../../src/training/index.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import { createTestDatabase, type BackendName, type TestDatabase } from "../registry/backends.js";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Trains with `--json` in a fresh LAKAY_HOME (or against `registryUri`) and returns the parsed result. */
function train(args: string[], home: string) {
  const r = runCli(["train", "--json", ...args], {
    env: { LAKAY_HOME: home },
  });
  if (r.status !== 0) throw new Error(`lakay train exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const BACKENDS: BackendName[] = ["sqlite", "postgresql"];

for (const backend of BACKENDS) {
  describe(`lakay train on the real PaySim sample, ${backend} registry`, () => {
    const home = mkdtempSync(path.join(tmpdir(), "lakay-train-"));
    let db: TestDatabase | undefined;
    afterAll(async () => db?.drop());

    it("registers a version in Staging with every artifact, checksum and run record", async () => {
      db = await createTestDatabase(backend);
      const out = path.join(home, "out");
      // PostgreSQL goes through the seed's flag name, --mlflow-uri, an alias of --registry-uri.
      const uriFlag = backend === "postgresql" ? "--mlflow-uri" : "--registry-uri";
      const res = train(["--dataset", PAYSIM_SAMPLE, uriFlag, db.uri, "--out", out], home);
      expect(res).toMatchObject({
        model_name: "fraud-detector-v0.1",
        version: 1,
        stage: "Staging",
        test_rows: 4_000,
      });
      expect(res.train_rows + res.test_rows).toBe(19_999);
      for (const k of ["auc_roc", "auc_pr", "precision", "recall", "f1", "false_positive_rate"]) {
        expect(res.metrics[k]).toBeGreaterThanOrEqual(0);
        expect(res.metrics[k]).toBeLessThanOrEqual(1);
      }
      expect(res.metrics.auc_roc).toBeGreaterThan(0.9);
      expect(res.dataset_sha256).toBe(sha256(PAYSIM_SAMPLE));

      // The --out folder: every artifact plus a manifest whose checksums match the bytes.
      const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
      expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual([...ARTIFACT_FILES].sort());
      for (const f of manifest.files) expect(sha256(path.join(out, f.path))).toBe(f.sha256);
      expect(
        JSON.parse(readFileSync(path.join(out, "features.json"), "utf8")).features.map(
          (f: { name: string }) => f.name,
        ),
      ).toEqual([...FEATURE_NAMES]);
      expect(readFileSync(path.join(out, "classification_report.txt"), "utf8")).toContain("weighted avg");
      const cmp = JSON.parse(readFileSync(path.join(out, "ml_vs_rules_comparison.json"), "utf8"));
      const c = cmp.fraud_caught;
      expect(c.model_only + c.rules_only + c.both + c.neither).toBe(cmp.fraud_total);

      // The registry: version files with checksums equal to what was written, the run's record.
      const reg = await openLakay({ registryUri: db.uri, artifactRoot: path.join(home, "artifacts") });
      try {
        const v = await reg.getVersion("fraud-detector-v0.1", 1);
        expect(v.stage).toBe("Staging");
        const byPath = Object.fromEntries(v.files.map((f) => [f.path, f.sha256]));
        for (const name of ARTIFACT_FILES) expect(byPath[name]).toBe(sha256(path.join(out, name)));
        const run = await reg.getRun(res.run_id);
        expect(run.status).toBe("FINISHED");
        expect(run.params).toMatchObject({
          n_estimators: "100",
          max_depth: "6",
          learning_rate: "0.1",
          random_seed: "42",
        });
        expect(Number(run.params.scale_pos_weight)).toBeGreaterThan(100);
        expect(run.metrics.auc_pr).toBeCloseTo(res.metrics.auc_pr, 9);
        expect(run.tags).toMatchObject({
          dataset_sha256: res.dataset_sha256,
          feature_set_version: "1",
          node_version: process.version,
        });
        expect(JSON.parse(run.tags.feature_list)).toEqual([...FEATURE_NAMES]);
        expect(run.tags.training_timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(run.tags.lakay_version).toMatch(/^\d+\.\d+\.\d+/);
        const local = mkdtempSync(path.join(tmpdir(), "lakay-dl-"));
        await reg.downloadVersion("fraud-detector-v0.1", 1, local);
        expect(readFileSync(path.join(local, "model.json"))).toEqual(
          readFileSync(path.join(out, "model.json")),
        );
      } finally {
        await reg.close();
      }
    });

    it("is reproducible: same data, config and seed give a byte-identical model.json and the same metrics", () => {
      const out2 = path.join(home, "out2");
      const res = train(
        ["--dataset", PAYSIM_SAMPLE, "--registry-uri", db!.uri, "--out", out2, "--threads", "1"],
        home,
      );
      expect(res.version).toBe(2);
      expect(readFileSync(path.join(out2, "model.json"))).toEqual(
        readFileSync(path.join(home, "out", "model.json")),
      );
      expect(readFileSync(path.join(out2, "metrics.json"), "utf8")).toBe(
        readFileSync(path.join(home, "out", "metrics.json"), "utf8"),
      );
    });
  });
}

describe("lakay train options", () => {
  const home = mkdtempSync(path.join(tmpdir(), "lakay-train-opt-"));

  it("trains on a generated file with a config, a grid search and --no-register", async () => {
    const csv = path.join(home, "generated.csv");
    await generatePaysim({ rows: 6_000, seed: 5, fraudRate: 0.02 }, csv);
    const cfg = path.join(home, "config.yaml");
    writeFileSync(
      cfg,
      `model_name: gen-model
random_seed: 7
mlflow_tracking_uri: "${sqliteUri(path.join(home, "cfg.db"))}"
hyperparams: { n_estimators: 20, max_depth: 4 }
grid_search:
  enabled: true
  param_grid: { max_depth: [2, 4], learning_rate: [0.1, 0.3] }
  cv_folds: 2
  scoring: aucpr
`,
    );
    const res = train(["--dataset", csv, "--config", cfg, "--no-register"], home);
    expect(res).toMatchObject({ model_name: "gen-model", version: null, stage: null });
    expect(res.grid_search).toMatchObject({ scoring: "auc_pr", folds: 2, candidates: 4 });
    expect([2, 4]).toContain(res.hyperparams.max_depth);
    expect(res.registry_uri).toContain("cfg.db");
    const reg = await openLakay({
      registryUri: sqliteUri(path.join(home, "cfg.db")),
      artifactRoot: path.join(home, "artifacts"),
    });
    try {
      expect((await reg.getRun(res.run_id)).status).toBe("FINISHED");
      expect(await reg.listRegisteredModels()).toEqual([]);
      expect((await reg.getMetricHistory(res.run_id, "cv_auc_pr_mean")).length).toBe(4);
    } finally {
      await reg.close();
    }
  });

  it("trains on a head sample and prints the human summary", () => {
    const r = runCli(
      ["train", "--dataset", PAYSIM_SAMPLE, "--sample-size", "8000", "--model-name", "sampled"],
      {
        env: { LAKAY_HOME: home },
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^Training Complete: sampled\n {2}Version: 1\n {2}AUC-ROC: 0\.\d{4}\n {2}Precision: [\d.]+\n {2}Recall: [\d.]+\n {2}F1: [\d.]+\n {2}Duration: [\d.]+s\n$/,
    );
  });
});

describe("lakay train refuses bad input before training", () => {
  const home = mkdtempSync(path.join(tmpdir(), "lakay-train-bad-"));
  const env = { LAKAY_HOME: home };
  const lines = readFileSync(PAYSIM_SAMPLE, "utf8").split(/\r?\n/).filter(Boolean);
  const file = (name: string, text: string) => {
    const f = path.join(home, name);
    writeFileSync(f, text);
    return f;
  };
  const fails = (args: string[], code: number, message: RegExp) => {
    const r = runCli(["train", ...args], { env });
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(code);
    expect(r.stdout).toBe("");
    return r;
  };

  it("a bad config names the key and what was expected", () => {
    const cfg = file("bad.yaml", "hyperparams:\n  max_depth: deep\n");
    fails(
      ["--dataset", PAYSIM_SAMPLE, "--config", cfg],
      2,
      /bad\.yaml.*hyperparams\.max_depth.*expected number/,
    );
    fails(
      ["--dataset", PAYSIM_SAMPLE, "--config", file("unk.yaml", "epochs: 3\n")],
      2,
      /Unrecognized key.*epochs/,
    );
  });

  it("a dataset without labels, or with a single class", () => {
    const unlabeled = lines.map((l) => l.split(",").slice(0, 9).join(",")).join("\n");
    fails(["--dataset", file("unlabeled.csv", unlabeled)], 2, /no isFraud column/);
    const legit = [lines[0], ...lines.slice(1).filter((l) => l.split(",")[9] === "0")].join("\n");
    fails(["--dataset", file("legit.csv", legit)], 2, /single class \(no fraud/);
  });

  it("--sample-size larger than the file, or zero", () => {
    fails(
      ["--dataset", PAYSIM_SAMPLE, "--sample-size", "20000"],
      2,
      /--sample-size 20000 is larger than the file \(19,999 rows\)/,
    );
    fails(
      ["--dataset", PAYSIM_SAMPLE, "--sample-size", "0"],
      2,
      /invalid value "0" for --sample-size: expected a whole number >= 1/,
    );
  });

  it("a grid of more than 50 candidates unless --allow-large-grid", () => {
    const cfg = file(
      "grid.yaml",
      "grid_search:\n  enabled: true\n  param_grid:\n    max_depth: [2, 3, 4, 5, 6, 7, 8]\n    learning_rate: [0.01, 0.05, 0.1, 0.2]\n    n_estimators: [50, 100]\n",
    );
    fails(
      ["--dataset", PAYSIM_SAMPLE, "--config", cfg],
      2,
      /56 candidates, more than 50.*--allow-large-grid/,
    );
  });

  it("a registry that cannot be reached fails before any training, and nothing is written", () => {
    const out = path.join(home, "never");
    const r = fails(
      ["--dataset", PAYSIM_SAMPLE, "--registry-uri", "postgresql://postgres@127.0.0.1:1/lakay", "--out", out],
      1,
      /127\.0\.0\.1:1/,
    );
    expect(r.stderr).not.toMatch(/Training Complete/);
    expect(readdirSync(home)).not.toContain("never");
  });

  it("an object store that cannot be reached fails before any training", () => {
    const r = runCli(["train", "--dataset", PAYSIM_SAMPLE, "--artifact-root", "s3://lakay-missing/prefix"], {
      env: {
        ...env,
        AWS_ENDPOINT_URL: "http://127.0.0.1:1",
        AWS_ACCESS_KEY_ID: "x",
        AWS_SECRET_ACCESS_KEY: "y",
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/s3:\/\/lakay-missing\/prefix.*nothing was trained/);
  });

  it("a missing dataset file", () => {
    fails(["--dataset", path.join(home, "nope.csv")], 2, /nope\.csv/);
  });
});
