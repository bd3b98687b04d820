import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPaysim } from "../../src/data/index.js";
import { buildFeatures } from "../../src/features/index.js";
import { openLakay } from "../../src/app/index.js";
import {
  loadRegisteredVersion,
  parseBiasAuditConfig,
  scoreFeatureMatrix,
  type BiasAuditResult,
} from "../../src/training/index.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../registry/backends.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import { compareWithReference, reference } from "../training/bias-reference.js";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

for (const backend of BACKENDS) {
  describe(`lakay bias-audit (${backend} registry)`, () => {
    let db: TestDatabase;
    let home: string;
    let args: string[];
    const env = () => ({ LAKAY_HOME: home, LAKAY_ACTOR: "auditor@example" });

    beforeAll(async () => {
      db = await createTestDatabase(backend);
      home = mkdtempSync(path.join(tmpdir(), "lakay-bias-cli-"));
      args = ["--registry-uri", db.uri, "--artifact-root", path.join(home, "artifacts")];
      const t = runCli(["train", "--dataset", PAYSIM_SAMPLE, "--model-name", "fd", "--json", ...args], {
        env: env(),
      });
      expect(t.status, t.stderr).toBe(0);
    }, 240_000);
    afterAll(async () => db?.drop());

    it("reports every segment with the --json shape the issue gives, equal to pandas on the model's own scores", async () => {
      const r = runCli(
        ["bias-audit", "--model", "fd", "--version", "1", "--dataset", PAYSIM_SAMPLE, "--json", ...args],
        { env: env() },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout) as BiasAuditResult & Record<string, unknown>;
      expect(Object.keys(report)).toEqual(
        expect.arrayContaining([
          "model",
          "version",
          "dataset_sha256",
          "threshold",
          "overall",
          "segments",
          "flags",
        ]),
      );
      expect(report).toMatchObject({
        model: "fd",
        version: 1,
        dataset_sha256: sha256(PAYSIM_SAMPLE),
        threshold: 0.5,
        threshold_source: "training_run",
        rows_scored: "all",
      });
      expect(report.overall).toMatchObject({ count: 19_999, fraud: 81 });
      for (const s of report.segments) {
        expect(Object.keys(s).slice(0, 4)).toEqual(["dimension", "segment", "status", "count"]);
        expect(s).toHaveProperty("fraud");
        expect(s.recall).toHaveProperty("ci95");
        expect(s.recall).toHaveProperty("ratio");
      }

      // The independent computation on the scores the version itself gives, loaded in this process.
      const reg = await openLakay({ registryUri: args[1], artifactRoot: args[3] });
      try {
        const loaded = await loadRegisteredVersion(reg, "fd", 1);
        const { tx } = await readPaysim(PAYSIM_SAMPLE);
        const scores = await scoreFeatureMatrix(loaded, buildFeatures(tx), 1);
        compareWithReference(report, reference(PAYSIM_SAMPLE, scores, 0.5, parseBiasAuditConfig()));

        // Stored with the version and in the audit trail, the artifact's hash in the entry.
        const audit = (await reg.listAudit({ model: "fd" })).filter(
          (e) => e.action === "model_version.bias_audit",
        );
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ actor: "auditor@example", version: 1 });
        const details = audit[0].details as { artifact: string; report_sha256: string; flags: unknown[] };
        expect(details.flags).toHaveLength(report.flags.length);
        expect(details.artifact).toBe(report.artifact);
        const version = await reg.getVersion("fd", 1);
        const stored = (await reg.listArtifacts(version.runId!)).find((f) => f.path === details.artifact);
        expect(stored?.sha256).toBe(details.report_sha256);
      } finally {
        await reg.close();
      }
    });

    it("takes --by, --threshold and a config file; --no-record leaves the audit trail as it was", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "lakay-bias-cfg-"));
      const cfg = path.join(dir, "bias.yaml");
      writeFileSync(cfg, "min_positives: 5\nmin_rows: 100\namount_band_edges: [10000, 200000]\n");
      const before = await auditCount(args);
      const r = runCli(
        [
          "bias-audit",
          "--model",
          "fd",
          "--version",
          "1",
          "--dataset",
          PAYSIM_SAMPLE,
          "--by",
          "amount_band",
          "--threshold",
          "0.3",
          "--config",
          cfg,
          "--no-record",
          "--json",
          ...args,
        ],
        { env: env() },
      );
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as BiasAuditResult & {
        artifact: unknown;
        threshold_source: string;
      };
      expect(report.threshold).toBe(0.3);
      expect(report.threshold_source).toBe("option");
      expect(report.artifact).toBeNull();
      expect(report.bounds).toMatchObject({ min_positives: 5, min_rows: 100 });
      expect(report.segments.map((s) => s.segment)).toEqual(["0-10k", "10k-200k", "200k+"]);
      expect(await auditCount(args)).toBe(before);

      // The human form: a table, then the flags in words.
      const text = runCli(
        ["bias-audit", "--model", "fd", "--version", "1", "--dataset", PAYSIM_SAMPLE, "--no-record", ...args],
        { env: env() },
      );
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/^bias audit of fd version 1 on /);
      expect(text.stdout).toMatch(/customer_history\s+first_transaction\s+19999\s+81/);
    });

    it("refuses bad input with exit 2, naming what was wrong; flags fail only with --fail-on-flags", () => {
      const run = (...extra: string[]) =>
        runCli(
          ["bias-audit", "--model", "fd", "--version", "1", "--dataset", PAYSIM_SAMPLE, ...extra, ...args],
          {
            env: env(),
          },
        );
      const badDim = run("--by", "type,country");
      expect(badDim.status).toBe(2);
      expect(badDim.stderr.trim()).toBe(
        'lakay: invalid dimension "country" for --by: expected a comma-separated list of type, amount_band, customer_history',
      );

      const dir = mkdtempSync(path.join(tmpdir(), "lakay-bias-bad-"));
      const cfg = path.join(dir, "bias.yaml");
      writeFileSync(cfg, "max_fpr_ratio: 1.5\nmin_recal_ratio: 0.9\n");
      const badCfg = run("--config", cfg);
      expect(badCfg.status).toBe(2);
      expect(badCfg.stderr).toContain(cfg);
      expect(badCfg.stderr).toContain("min_recal_ratio");

      const unlabeled = path.join(dir, "unlabeled.csv");
      const lines = readFileSync(PAYSIM_SAMPLE, "utf8").split(/\r?\n/).slice(0, 500);
      writeFileSync(unlabeled, lines.map((l) => l.split(",").slice(0, 9).join(",")).join("\n") + "\n");
      const noLabels = runCli(
        ["bias-audit", "--model", "fd", "--version", "1", "--dataset", unlabeled, "--no-record", ...args],
        { env: env() },
      );
      expect(noLabels.status).toBe(2);
      expect(noLabels.stderr).toMatch(/no isFraud column/);

      const missing = runCli(
        ["bias-audit", "--model", "fd", "--version", "7", "--dataset", PAYSIM_SAMPLE, "--no-record", ...args],
        { env: env() },
      );
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/fd.*7/);

      const strict = run("--no-record", "--fail-on-flags", "--config", writeDefaultsWithLowBounds(dir));
      expect(strict.status).toBe(1);
      expect(strict.stderr).toMatch(/^lakay: model fd version 1 has \d+ bias flag\(s\): /);
    });
  });
}

/** A config under which this model on this sample is certainly flagged (any FPR above overall). */
function writeDefaultsWithLowBounds(dir: string): string {
  const file = path.join(dir, "strict.yaml");
  writeFileSync(file, "max_fpr_ratio: 1.0001\nmin_positives: 1\nmin_rows: 1\n");
  return file;
}

async function auditCount(args: string[]): Promise<number> {
  const reg = await openLakay({ registryUri: args[1], artifactRoot: args[3] });
  try {
    return (await reg.listAudit({ model: "fd" })).length;
  } finally {
    await reg.close();
  }
}
